"""`bind ... ssl crt-list FILE`: the list's certificates as the frontend's certificates.

A crt-list names one certificate a line, optionally followed by `[options]` and SNI
filters; the first is the bind's default and the others are picked by the names the
client asks for. The model's frontend says the same with its `certificates` (the first
the default, the others picked by their names, through a crt-list lbctl writes), so
each certificate is read from the host's collected files and declared. What an entry
adds -- its `[options]`, its SNI filters -- has no model field: each such entry is
reported as a change of meaning with the crt-list's line, and its certificate is still
served. The file is read from DIR/<host>/files (or fetched with `-i`), never from the
control plane's own filesystem.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any

from .haproxy_reader import Line, host_path
from .report import Report, Where

Declare = Callable[[str, str, Where], str | None]
ReadFile = Callable[[str, Where], bytes | None]


def crt_list_entries(content: bytes) -> list[tuple[int, list[str]]] | None:
    """(line number, words) of each entry of a crt-list; None if it is not text."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split()
        if words and not words[0].startswith("#"):
            out.append((number, words))
    return out


def crt_list_certificates(
    path: str, line: Line, tls: dict[str, Any], read: ReadFile, declare: Declare, report: Report
) -> bool:
    """Add the certificates of crt-list `path` to `tls`; False when it cannot be read.

    `declare` declares a certificate by its path as written (crt-base applies to it).
    """
    content = read(path, line.where)
    entries = crt_list_entries(content) if content is not None else None
    if content is None:
        report.add("missing", line.where, path, "not in the collected files (crt-list)")
        return False
    if not entries:
        report.add("dropped", line.where, line.raw, f"{path} lists no certificate")
        return False
    for number, words in entries:
        name = declare("certificate", words[0], line.where)
        if name is None and words[0].startswith("/"):
            tls.setdefault("certificate", host_path(words[0]))
        else:
            tls.setdefault("certificates", []).append(name)
        if len(words) > 1:
            report.add(
                "differs",
                line.where,
                f"{path}:{number}: {' '.join(words)}",
                "the certificate is served, picked by its own names: the entry's options "
                "and SNI filters have no model field",
            )
    report.add(
        "translated",
        line.where,
        line.raw,
        f"the {len(entries)} certificates of {path} are the frontend's certificates",
    )
    return True


# `crt-list PATH` on a bind line.
_CRT_LIST = re.compile(r"([ \t])crt-list[ \t]+([^ \t\n\"'#]+)")


def crt_lists_for_proof(text: str, read: Callable[[str], bytes | None]) -> str:
    """`text` with each `crt-list FILE` written as `crt CERT ...`, for the sandboxed proof.

    The sandbox shows none of the host's files, and the proof stands a throwaway
    certificate in for every `crt` path: the list's certificates are proven that way
    (a list not collected, as one certificate of its own path). Line numbers are kept.
    """

    def certificates(match: re.Match[str]) -> str:
        path = match.group(2)
        content = read(path)
        entries = crt_list_entries(content) if content is not None else None
        paths = [words[0] for _, words in entries or []] or [path]
        # Any absolute path will do: the proof stands its own certificate in for it.
        return match.group(1) + " ".join(f"crt {posixpath.join('/', p)}" for p in paths)

    return _CRT_LIST.sub(certificates, text)
