"""Source lists read from files (`acl x src -f FILE`) and the frontend's access lists.

An ACL `src [-M] -f FILE` matches the addresses and networks the file lists, one per line
(with `-M`, a map: the first word of each line). The file is read from the host's
collected files (DIR/<host>/files/..., or fetched with `-i`), never from the control
plane's own filesystem; its entries become the ACL's values, so the ACL maps like one
written inline -- to a rule's `source` test, or, kept verbatim, as inline `acl` lines of
at most 50 values each (HAProxy reads at most 64 words on a line; lines with the same ACL
name are alternatives, so the ACL holds for the same addresses).

`http-request deny [deny_status 403] if LIST` / `... unless LIST` at the head of a
frontend's rules, LIST a source-only ACL, are what the model's `access.deny` /
`access.allow` render: they become the frontend's `access`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .conditions import Alternatives
from .haproxy_reader import Line
from .report import Report, Where

ReadFile = Callable[[str, Where], bytes | None]
CHUNK = 50  # values per inline acl line; HAProxy reads at most 64 words on a line
_FLAGS = ({"-f"}, {"-M", "-f"})


def file_acl(line: Line, read_file: ReadFile, report: Report) -> list[Line] | None:
    """`acl NAME src [-M] -f FILE` as inline `acl NAME src ...` lines, or None.

    None when the line names no file, or when the file is missing or holds something
    that is not an address or network (each reported with its line).
    """
    w = line.words
    if len(w) < 5 or w[2] != "src" or "-f" not in w:
        return None
    flags, paths = _flags(w[3:])
    if flags not in _FLAGS or len(paths) < 1:
        return None
    values = file_entries(
        line,
        paths,
        FileReading(read_file, report, "access list"),
        lambda content: _entries(content, "-M" in flags),
        "holds something other than addresses and networks",
    )
    if values is None:
        return None
    report.add(
        "translated",
        line.where,
        line.raw,
        f"the {len(values)} addresses and networks of the file, written inline",
    )
    if not values:
        return [Line([w[0], w[1], "always_false"], f"acl {w[1]} always_false", line.where)]
    return [
        Line([*w[:3], *chunk], " ".join([*w[:3], *chunk]), line.where)
        for chunk in (values[i : i + CHUNK] for i in range(0, len(values), CHUNK))
    ]


@dataclass(frozen=True)
class FileReading:
    """Where an ACL's files come from, where their problems go, and what they are called."""

    read_file: ReadFile
    report: Report
    what: str  # "access list", "pattern file": the report's word for a missing one


def file_entries(
    line: Line,
    paths: list[str],
    reading: FileReading,
    parse: Callable[[bytes], list[str] | None],
    refusal: str,
) -> list[str] | None:
    """Return the entries of every file an ACL line names, or None (each problem reported).

    `parse` gives a file's entries, or None when one cannot be used (`refusal` says why).
    """
    values: list[str] = []
    for path in paths:
        content = reading.read_file(path, line.where)
        if content is None:
            reading.report.add(
                "missing", line.where, path, f"not in the collected files ({reading.what})"
            )
            return None
        entries = parse(content)
        if entries is None:
            reading.report.add("dropped", line.where, line.raw, f"{path} {refusal}")
            return None
        values += entries
    return values


def _flags(words: list[str]) -> tuple[set[str], list[str]]:
    flags: set[str] = set()
    paths: list[str] = []
    i = 0
    while i < len(words):
        if words[i] == "-f" and i + 1 < len(words):
            flags.add("-f")
            paths.append(words[i + 1])
            i += 2
        else:
            flags.add(words[i])
            i += 1
    return flags, paths


def _entries(content: bytes, is_map: bool) -> list[str] | None:
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError:
        return None
    out = []
    for raw in text.splitlines():
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        if is_map:
            entry = entry.split()[0]
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return None
        out.append(str(network) if "/" in entry else entry)
    return out


def take_access(
    request: list[Line], acls: dict[str, Alternatives | None]
) -> tuple[dict[str, Any], int]:
    """The model's `access` said by the leading deny lines of `request`, and their count."""
    access: dict[str, list[str]] = {}
    taken = 0
    for line in request:
        found = _access_line(line.words, acls)
        if found is None:
            break
        kind, sources = found
        if kind == "allow" and "allow" in access:
            break  # two allow lists: only sources in both pass, the model keeps one list
        access.setdefault(kind, [])
        access[kind] += [s for s in sources if s not in access[kind]]
        taken += 1
    return access, taken


def _access_line(
    w: list[str], acls: dict[str, Alternatives | None]
) -> tuple[str, list[str]] | None:
    head = ["http-request", "deny"]
    if w[:2] != head or len(w) not in (4, 6):
        return None
    if len(w) == 6 and w[2:4] != ["deny_status", "403"]:
        return None
    keyword, name = w[-2], w[-1]
    if keyword not in ("if", "unless"):
        return None
    sources = _sources(acls.get(name))
    if sources is None:
        return None
    return ("deny" if keyword == "if" else "allow"), sources


def _sources(alts: Alternatives | None) -> list[str] | None:
    if not alts or any(set(a) != {"source"} for a in alts):
        return None
    return [s for a in alts for s in a["source"]]
