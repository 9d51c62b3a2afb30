"""Read a keepalived.conf into nested blocks of located words.

keepalived reads words separated by white space, `!` and `#` comments to the end of the
line, double-quoted strings, and `{ ... }` blocks. `include` is followed only inside the
folder the configs were collected in (never the control plane's own filesystem); an
include whose files are not there is reported, and the import goes on.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass

from .haproxy_reader import decode_config
from .report import ImportRefused, Report, Where

MAX_DEPTH = 32


@dataclass
class Node:
    """`keyword values...` with an optional block of children."""

    words: list[str]
    where: Where
    children: list[Node] | None = None

    @property
    def keyword(self) -> str:
        return self.words[0]

    def values(self) -> list[str]:
        return self.words[1:]

    def child(self, keyword: str) -> Node | None:
        return next((c for c in self.children or [] if c.keyword == keyword), None)

    def all(self, keyword: str) -> list[Node]:
        return [c for c in self.children or [] if c.keyword == keyword]


@dataclass
class _Token:
    text: str
    where: Where
    newline_before: bool


def _tokens(text: str, source: str) -> list[_Token]:
    out: list[_Token] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        where = Where(source, number)
        i, first = 0, True
        while i < len(raw):
            char = raw[i]
            if char in " \t\r":
                i += 1
            elif char in "!#":
                break
            elif char in "{}":
                out.append(_Token(char, where, first))
                first = False
                i += 1
            elif char == '"':
                end = raw.find('"', i + 1)
                if end < 0:
                    raise ImportRefused(f'{where}: unterminated " quote')
                out.append(_Token(raw[i + 1 : end], where, first))
                first = False
                i = end + 1
            else:
                start = i
                while i < len(raw) and raw[i] not in ' \t\r{}"!#':
                    i += 1
                out.append(_Token(raw[start:i], where, first))
                first = False
    return out


def read_keepalived(
    data: bytes,
    source: str,
    report: Report,
    include: Callable[[str], list[tuple[str, bytes]]] | None = None,
) -> list[Node]:
    """Return the top-level nodes of a keepalived.conf, with its includes read in place.

    `include(pattern)` returns (name, bytes) of the collected files matching an include's
    pattern; an include that matches nothing is reported as missing.
    """
    text = decode_config(data, source)
    tokens = _tokens(text, source)
    nodes, rest = _parse(tokens, 0, 0, source)
    if rest < len(tokens):
        raise ImportRefused(f"{tokens[rest].where}: '}}' closes no block")
    out: list[Node] = []
    for node in nodes:
        if node.keyword == "include" and node.children is None:
            pattern = node.values()[0] if node.values() else ""
            found = include(pattern) if include else []
            if not found:
                report.add("missing", node.where, f"include {pattern}", "no such file collected")
            for name, content in found:
                out.extend(read_keepalived(content, name, report, None))
        else:
            out.append(node)
    return out


def _parse(tokens: list[_Token], i: int, depth: int, source: str) -> tuple[list[Node], int]:
    if depth > MAX_DEPTH:
        raise ImportRefused(f"{tokens[i].where}: blocks nested deeper than {MAX_DEPTH}")
    nodes: list[Node] = []
    while i < len(tokens):
        tok = tokens[i]
        if tok.text == "}":
            return nodes, i
        if tok.text == "{":
            # A bare block continues the previous directive (`virtual_ipaddress {`).
            if not nodes or nodes[-1].children is not None:
                raise ImportRefused(f"{tok.where}: '{{' opens a block without a keyword")
            children, i = _parse(tokens, i + 1, depth + 1, source)
            if i >= len(tokens):
                raise ImportRefused(f"{tok.where}: block never closed ('}}' missing)")
            nodes[-1].children = children
            i += 1
            continue
        if tok.newline_before or not nodes or nodes[-1].children is not None:
            nodes.append(Node([tok.text], tok.where))
        else:
            nodes[-1].words.append(tok.text)
        i += 1
    if depth > 0:
        raise ImportRefused(f"{source}: a block is never closed ('}}' missing)")
    return nodes, i


def matches(pattern: str, path: str) -> bool:
    """Whether an include pattern (shell glob) names `path`."""
    return fnmatch.fnmatchcase(path, pattern)
