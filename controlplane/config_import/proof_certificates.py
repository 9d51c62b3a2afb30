"""Relative certificate paths of an original, made absolute for proving it with `haproxy -c`.

The sandboxed proof stands a throwaway certificate in for every absolute `crt` and
`ca-file` path (check.py). A relative one (`crt site.pem`) is read from `crt-base` /
`ca-base` when global sets them, else from HAProxy's working directory on the host: either
way nothing the sandbox has. Each becomes the absolute path it names on the host, so the
stand-in takes its place; only the path changes, so every line keeps its number.
"""

from __future__ import annotations

import posixpath
import re

_BASE = re.compile(r"^[ \t]*(crt-base|ca-base)[ \t]+([^ \t\n#]+)", re.M)
# `bind :443 ssl crt site.pem`, `server s 10.0.0.1:443 ssl ca-file ca.pem`: not `crt /...`.
_RELATIVE = re.compile(r"(?<=[ \t])(crt|ca-file)([ \t]+)([^/ \t\n\"'#][^ \t\n\"'#]*)")


# `crt '/etc/haproxy/tls/site.pem'`: a quoted path without a space reads the same unquoted.
_QUOTED = re.compile(
    r"(?<=[ \t])(crt|crt-list|ca-file|ca-verify-file)([ \t]+)(['\"])([^'\" \t\n]+)\3"
)


def absolute_certificates_for_proof(text: str) -> str:
    """Return `text` with each relative crt/ca-file path made absolute as the host reads it.

    Quoted paths lose their quotes first, so the stand-in finds them.
    """
    text = _QUOTED.sub(r"\1\2\4", text)
    bases = {key: value for key, value in _BASE.findall(text)}

    def absolute(match: re.Match[str]) -> str:
        base = bases.get("crt-base" if match.group(1) == "crt" else "ca-base", "/")
        path = posixpath.normpath(posixpath.join("/", base, match.group(3)))
        return f"{match.group(1)}{match.group(2)}{path}"

    return _RELATIVE.sub(absolute, text)
