"""A hand-written Host-header ACL as the model test that matches the same requests.

`hdr(host) -i www.example.com` compares the whole Host header as the client sent it:
`Host: www.example.com:80` does not match. The model's `host` test renders
`req.hdr(host),field(1,:),lower -m str www.example.com`, which drops a port (and the
letter case) first, so that request would match it and be routed elsewhere. The model's
header test compares the whole value, as the original does: `-i` becomes a regex that
ignores case only (`(?i)^www\\.example\\.com$`), no flag the exact value. Measured through
HAProxy 2.6 in tests/config_import/test_host_header.py: `Host: www.example.com:80`,
`Host: WWW.EXAMPLE.COM` and `Host: www.example.com` get the same answers from the
original and the rendered import.
"""

from __future__ import annotations

import re
from typing import Any

_HOST = re.compile(r"[A-Za-z0-9.:\[\]-]{1,253}")


def host_header_tests(values: list[str], ignore_case: bool) -> list[dict[str, Any]] | None:
    """The model's tests for `hdr(host) [-i] VALUE...`, one alternative a value, or None."""
    if not all(_HOST.fullmatch(v) for v in values):
        return None
    if not ignore_case:
        return [{"header": {"name": "Host", "equals": v}} for v in values]
    return [{"header": {"name": "Host", "matches": f"(?i)^{_escaped(v)}$"}} for v in values]


def _escaped(value: str) -> str:
    # Of the characters _HOST lets through, these are regex syntax.
    return re.sub(r"([.\[\]])", r"\\\1", value)
