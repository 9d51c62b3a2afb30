"""Syntax HAProxy 2.6 no longer reads: translated to its modern form, or refused with its line.

Configs that grew for years still carry it: the `req*`/`rsp*` header rewriting removed in
2.1, `nbproc` removed in 2.5, an address on the section line, the old timeout names,
`option forceclose`. Each translation is reported; a line with no modern form is dropped
and reported, so the import's exit status says the meaning changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .haproxy_reader import Line, Section, read_haproxy
from .report import Report

_TIMEOUTS = {"contimeout": "connect", "clitimeout": "client", "srvtimeout": "server"}
# `reqadd "X-Name:\ value"`: the header line as one word, name and value split at ': '.
_HEADER_LINE = re.compile(r"([A-Za-z0-9_.-]+):\s*(.*)")
# `reqidel ^X-Name:` / `reqdel ^X-Name:.*`: a whole header removed by name.
_DELETE_HEADER = re.compile(r"\^([A-Za-z0-9_.-]+):(\.\*)?")
_REMOVED_HEADER_RULES = re.compile(r"(req|rsp)i?(rep|deny|allow|tarpit|pass|setbe|del|add)")


@dataclass(frozen=True)
class Translated:
    line: Line
    words: list[str]


def _quoted(word: str) -> str:
    return "'" + word + "'" if re.search(r"[\s#\"\\$]", word) and "'" not in word else word


def _with(line: Line, words: list[str]) -> Line:
    return Line(words, " ".join(_quoted(w) for w in words), line.where)


def modernize(section: Section, report: Report) -> Section:
    """Return the section with obsolete lines translated or dropped, each reported."""
    lines: list[Line] = []
    # `frontend web from named-defaults` (HAProxy 2.4+, the Data Plane API's own form) names
    # the defaults section the proxy takes: it stays on the section line.
    address, inherits = section.args, []
    if address[:1] == ["from"] and len(address) == 2:
        address, inherits = [], address
    if address and section.keyword in ("frontend", "listen"):
        bind = Line(["bind", *address], "bind " + " ".join(address), section.where)
        report.add(
            "translated",
            section.where,
            f"{section.keyword} {section.name} {' '.join(address)}",
            f"the address on the section line became `{bind.raw}`",
        )
        lines.append(bind)
    for line in section.lines:
        new = _modern(line, report)
        if new is not None:
            lines.append(new)
    return Section(
        section.keyword, section.name, inherits, section.where, _health_mode(lines, report)
    )


def _health_mode(lines: list[Line], report: Report) -> list[Line]:
    """Return a section's lines with `mode health` (refused by HAProxy 2.6) said the new way.

    A `mode health` proxy answered every connection itself: "HTTP/1.0 200 OK" with `option
    httpchk`, else the text "OK", then closed it. An HTTP proxy that returns 200 to every
    request is the first exactly; for the second, a TCP proxy that accepts and closes each
    connection passes a connect check but sends no "OK" (reported as a difference).
    """
    found = next((i for i, line in enumerate(lines) if line.words == ["mode", "health"]), None)
    if found is None:
        return lines
    old = lines[found]
    if any(line.words[:2] == ["option", "httpchk"] for line in lines):
        words = [["mode", "http"], ["http-request", "return", "status", "200"]]
        report.add(
            "translated",
            old.where,
            old.raw,
            "became `mode http` + `http-request return status 200`: every request is answered "
            "200, as `mode health` with `option httpchk` did",
        )
    else:
        words = [["mode", "tcp"], ["tcp-request", "connection", "reject"]]
        report.add(
            "differs",
            old.where,
            old.raw,
            "became `mode tcp` + `tcp-request connection reject`: a connection is accepted and "
            "closed, but without the text OK that `mode health` sent",
        )
    return [*lines[:found], *(_with(old, w) for w in words), *lines[found + 1 :]]


def _modern(line: Line, report: Report) -> Line | None:
    w = line.words
    key = w[0]
    if key in _TIMEOUTS and len(w) == 2:
        return _translated(line, ["timeout", _TIMEOUTS[key], w[1]], report)
    if key == "nbproc":
        if w[1:] == ["1"]:
            return _translated(line, [], report, "one process is what HAProxy 2.6 runs")
        return _translated(line, ["nbthread", *w[1:]], report, "processes became threads")
    if key in ("bind-process", "process") or (key == "stats" and w[1:2] == ["bind-process"]):
        return _translated(line, [], report, "no processes to bind in HAProxy 2.6 (threads)")
    if (key == "bind" or w[:2] == ["stats", "socket"]) and "process" in w[:-1]:
        at = w.index("process")
        return _translated(
            line, w[:at] + w[at + 2 :], report, "no processes to bind in HAProxy 2.6 (threads)"
        )
    if w == ["debug"]:
        return _translated(line, [], report, "HAProxy 2.6 has no debug keyword: run it with -d")
    if w[:2] == ["option", "forceclose"] or w[:2] == ["option", "httpclose"]:
        return _translated(line, ["option", "httpclose"], report) if w[1] == "forceclose" else line
    if key == "block":
        return _translated(line, ["http-request", "deny", *w[1:]], report)
    if w == ["quiet"]:
        return _translated(line, [], report, "lbctl shows haproxy's messages when a check fails")
    if key == "tune.chksize":
        return _translated(line, [], report, "HAProxy 2.6 checks with tune.bufsize")
    if w == ["redispatch"]:
        return _translated(line, ["option", "redispatch"], report)
    if key == "appsession":
        report.add(
            "dropped",
            line.where,
            line.raw,
            "removed in HAProxy 1.6: keep sessions on a server with a cookie (the pool's "
            "cookie persistence) or a stick table",
        )
        return None
    if key in ("reqadd", "rspadd") and len(w) >= 2:
        match = _HEADER_LINE.fullmatch(w[1])
        if match:
            phase = "http-request" if key == "reqadd" else "http-response"
            return _translated(line, [phase, "add-header", *match.groups(), *w[2:]], report)
    if key in ("reqdel", "reqidel", "rspdel", "rspidel") and len(w) >= 2:
        match = _DELETE_HEADER.fullmatch(w[1])
        if match:
            phase = "http-request" if key.startswith("req") else "http-response"
            return _translated(line, [phase, "del-header", match.group(1), *w[2:]], report)
    if _REMOVED_HEADER_RULES.fullmatch(key):
        report.add(
            "dropped",
            line.where,
            line.raw,
            "removed in HAProxy 2.1 with no exact modern form: rewrite it as "
            "http-request/http-response rules",
        )
        return None
    if key == "monitor-net":
        report.add("dropped", line.where, line.raw, "removed in HAProxy 2.4")
        return None
    return line


def _translated(line: Line, words: list[str], report: Report, note: str = "") -> Line | None:
    if not words:
        report.add("translated", line.where, line.raw, note or "no longer needed")
        return None
    new = _with(line, words)
    report.add(
        "translated", line.where, line.raw, f"became `{new.raw}`" + (f": {note}" if note else "")
    )
    return new


def modern_config(data: bytes, source: str) -> str:
    """Return the config as HAProxy 2.6 reads it: legacy lines translated, dropped ones gone.

    This is what the original is proven with: a line 2.6 refuses is reported, not fatal.
    """
    out = []
    for section in read_haproxy(data, source):
        modern = modernize(section, Report())
        out.append(" ".join(w for w in (section.keyword, section.name, *modern.args) if w))
        out.extend(f"    {line.raw}" for line in modern.lines)
    return "\n".join(out) + "\n"
