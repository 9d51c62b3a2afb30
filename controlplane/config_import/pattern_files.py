"""ACLs that read their patterns from a file (`acl bots hdr_sub(user-agent) -i -f FILE`).

The model keeps no file an `extra` line could name with `-f` (it would name a file on the
host that lbctl does not ship), so the file's patterns are written inline, as HAProxy reads
them: one pattern a line, blank lines and lines starting with `#` skipped, the spaces
before a pattern dropped and those after it kept. A pattern with a space or a backslash is
single-quoted, where HAProxy takes every character as written (tests/config_import/
test_pattern_files_live.py serves both through HAProxy). The file is read from the host's
collected files. Source lists (`src -f`) are access_lists.py's: they can become the
frontend's `access`.
"""

from __future__ import annotations

import re

from .access_lists import CHUNK, FileReading, ReadFile, file_entries
from .haproxy_reader import Line
from .report import Report

MAX_PATTERNS = 5000  # more is a data set, not a config: it stays out (reported)
_PLAIN = re.compile(r"[A-Za-z0-9._:/@%+=~*?^()|\[\],;!&<>-]+")
_QUOTABLE = re.compile(r"[ -~]+")  # printable ASCII: single-quoted when not plain
_REFUSED = frozenset("'\"#$")  # would end the quote, start a comment or an expansion
_FLAGS_WITH_VALUE = frozenset({"-m"})
_FLAGS = frozenset({"-i", "-n"})


def pattern_file_acl(line: Line, read_file: ReadFile, report: Report) -> list[Line] | None:
    """`acl NAME FETCH [flags] -f FILE` as inline `acl NAME FETCH [flags] PATTERN...` lines.

    None when the line names no file, or the file cannot be written inline (missing, too
    large, or holding a pattern no config line can quote); each case is reported.
    """
    w = line.words
    if len(w) < 5 or w[0] != "acl" or w[2] == "src" or "-f" not in w:
        return None
    flags, paths = _flags_and_files(w[3:])
    if flags is None or not paths:
        return None
    patterns = file_entries(
        line,
        paths,
        FileReading(read_file, report, "pattern file"),
        _patterns,
        "holds a pattern a config line cannot quote (a quote, '#' or '$', or a character "
        "outside printable ASCII)",
    )
    if patterns is None:
        return None
    if len(patterns) > MAX_PATTERNS:
        report.add(
            "dropped", line.where, line.raw, f"{len(patterns)} patterns: more than {MAX_PATTERNS}"
        )
        return None
    report.add(
        "translated", line.where, line.raw, f"the file's {len(patterns)} patterns, written inline"
    )
    head = [*w[:3], *flags]
    if not patterns:
        return [Line([w[0], w[1], "always_false"], f"acl {w[1]} always_false", line.where)]
    if any(p.startswith("-") for p in patterns):
        head.append("--")  # a pattern starting with '-' is not a flag
    return [
        Line([*head, *chunk], " ".join([*head, *map(_quoted, chunk)]), line.where)
        for chunk in (patterns[i : i + CHUNK] for i in range(0, len(patterns), CHUNK))
    ]


def _flags_and_files(words: list[str]) -> tuple[list[str] | None, list[str]]:
    """Return (the other flags, the files) of an ACL's flags; None flags: one is unknown."""
    flags: list[str] = []
    paths: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-f" and i + 1 < len(words):
            paths.append(words[i + 1])
            i += 2
        elif word in _FLAGS_WITH_VALUE and i + 1 < len(words):
            flags += [word, words[i + 1]]
            i += 2
        elif word in _FLAGS:
            flags.append(word)
            i += 1
        else:
            return None, paths  # inline patterns beside the file, or a flag not known here
    return flags, paths


def _patterns(content: bytes) -> list[str] | None:
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError:
        return None
    out = []
    for raw in text.splitlines():
        pattern = raw.lstrip(" \t")  # HAProxy keeps the spaces after a pattern (measured)
        if not pattern or pattern.startswith("#"):
            continue
        if _REFUSED & set(pattern) or not _QUOTABLE.fullmatch(pattern):
            return None
        out.append(pattern)
    return out


def _quoted(pattern: str) -> str:
    return pattern if _PLAIN.fullmatch(pattern) else f"'{pattern}'"
