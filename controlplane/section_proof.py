"""Prove a change to a proven haproxy.cfg by its changed sections: haproxy -c on a reduced file.

`haproxy -c` of a whole 70,000-line file takes 0.5-0.7 s. When the base rendering's file
passed haproxy -c in this process (check.proven: same text, same files travelling with
it, same binary) and the candidate differs from it only in frontend and backend blocks
(render/sections.py) - same prefix, no block removed, the same attached files - the
candidate is proven by haproxy -c of a reduced file:

- the whole prefix: global, defaults, user lists, peers, resolvers, lbctl's frontends and
  the stats pages, exactly as in the candidate;
- every changed or added block, every block that names one of them (a frontend routing to
  a changed backend), and, again and again, every block those name by any other word
  (a `track`ed server's backend, a stick table's proxy);
- each backend those only route to (`use_backend`, `default_backend`) as a stub: its
  header and its `mode` line, which is all HAProxy checks of a backend a frontend uses.

It runs in the sandbox with the real attached files, as check.check_file proves any file
(certificates, CA files and maps bound at files_dir). Each message's line number is the
candidate's. A reduced file that fails proves nothing: the whole candidate is then proven,
so every refusal, its message and its line are the full proof's. A reduced file larger
than a quarter of the candidate's blocks is not worth it: the whole file is proven.

What a reduced file cannot see: a conflict between a changed block and an unchanged block
it does not name (two `id` lines with one number in `extra`, say). The model refuses the
ones it can know (duplicate names, ports); the deploy's host-side haproxy -c proves every
whole file before it is installed, and `lbctl render`, POST /render and the local proof of
a deploy always prove whole files.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Literal

from .check import CheckReport, FileCheck, check_file, proven, require_tools
from .render import HAPROXY_FILE, AttachedFile, Rendered, RenderedHost
from .render.sections import NotSplittable, text_blocks

Method = Literal["proven before", "sections", "full"]
_ROUTING = ("use_backend", "default_backend")
_WORD = re.compile(r"[A-Za-z0-9_.-]+")  # the characters of a model name
_PLACE = re.compile(r"(haproxy\.cfg:)(\d+)")
_QUOTED = re.compile(r"^(    line )(\d+)(:)", re.MULTILINE)


@dataclass(frozen=True)
class Reduced:
    """A reduced haproxy.cfg, the candidate's blocks it proves, and its lines' places."""

    text: str
    changed: list[str]  # headers of the changed or added blocks
    # (first line in `text`, first line in the candidate, count), in order
    lines: list[tuple[int, int, int]] = field(default_factory=list)

    def candidate_line(self, line: int) -> int:
        for first, target, count in self.lines:
            if first <= line < first + count:
                return target + line - first
        return line


@dataclass(frozen=True)
class FileProof:
    """How one file of one host was proven: `sections` counts the changed blocks."""

    host: str
    file: str
    method: Method
    sections: int = 0
    why: str = ""  # why a file was proven whole


@dataclass(frozen=True)
class ChangeProof:
    report: CheckReport
    files: list[FileProof]

    def summary(self) -> str:
        """Return e.g. "proved by section: 3 sections", "proved in full" (haproxy.cfg)."""
        proofs = [p for p in self.files if p.file == HAPROXY_FILE]
        if any(p.method == "full" for p in proofs):
            return "proved in full"
        sections = sum(p.sections for p in proofs)
        if sections:
            return f"proved by section: {sections} section{'s' if sections != 1 else ''}"
        return "proved before"


def prove_change(candidate: Rendered, base: Rendered | None, workers: int = 4) -> ChangeProof:
    """Return the verdict on every file of `candidate`, each proven the cheapest sound way.

    A file this process proved before is not proven again; a haproxy.cfg whose host has a
    proven file in `base` is proven by its changed sections; any other file in full. A
    base file not proven yet is proven whole first (once: the next change starts from it).
    """
    require_tools()
    bases = {h.host: h for h in base.hosts} if base is not None else {}
    same_dir = base is not None and base.files_dir == candidate.files_dir
    jobs = [
        (host, name, bases.get(host.host) if same_dir and name == HAPROXY_FILE else None)
        for host in candidate.hosts
        for name in host.files
    ]

    def run(job: tuple[RenderedHost, str, RenderedHost | None]) -> tuple[FileCheck, FileProof]:
        host, name, base_host = job
        return _prove_file(host, name, base_host, candidate.files_dir)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(run, jobs))
    return ChangeProof(CheckReport([c for c, _ in done]), [p for _, p in done])


def _prove_file(
    host: RenderedHost, name: str, base_host: RenderedHost | None, files_dir: str
) -> tuple[FileCheck, FileProof]:
    text = host.files[name]
    attached: Mapping[str, AttachedFile] = host.attached if name == HAPROXY_FILE else {}
    before = proven(name, text, attached, files_dir)
    if before is not None:
        return replace(before, host=host.host), FileProof(host.host, name, "proven before")
    why = _why_whole(host, base_host)
    reduced = None
    if not why and base_host is not None:
        try:
            reduced = reduce_change(text, base_host.files[HAPROXY_FILE])
        except NotSplittable as exc:
            why = f"not splittable: {exc}"
        if reduced is None and not why:
            why = "too much changed"
    if reduced is not None and base_host is not None:
        base_text = base_host.files[HAPROXY_FILE]
        if proven(name, base_text, attached, files_dir) is None:
            check_file(base_host.host, name, base_text, attached, files_dir)  # remembered
        if proven(name, base_text, attached, files_dir) is None:
            why = "the base file does not pass"
        else:
            found = check_file(host.host, name, reduced.text, attached, files_dir)
            if found.ok:
                warnings = [_candidate_places(w, reduced) for w in found.warnings]
                verdict = replace(found, warnings=warnings)
                return verdict, FileProof(host.host, name, "sections", len(reduced.changed))
            why = "the reduced file failed: proven whole for the full proof's messages"
    return (
        check_file(host.host, name, text, attached, files_dir),
        FileProof(host.host, name, "full", why=why or "no proven base"),
    )


def _why_whole(host: RenderedHost, base_host: RenderedHost | None) -> str:
    if base_host is None:
        return "no base file"
    if base_host.attached != host.attached:
        return "the files travelling with it changed"
    return ""


def reduce_change(text: str, base_text: str) -> Reduced | None:
    """Return the reduced file proving `text` given that `base_text` passes; None when the
    change is not confined to added and changed blocks, or reaches too many of them.

    Raises NotSplittable when either text does not have a rendered haproxy.cfg's layout.
    """
    new, old = text_blocks(text), text_blocks(base_text)
    if text[: new.prefix_end] != base_text[: old.prefix_end]:
        return None
    if any(header not in new.spans for header in old.spans):
        return None  # a removed block: what named it is not in the candidate to look at
    changed = [
        h
        for h, (start, end) in new.spans.items()
        if h not in old.spans or text[start:end] != base_text[slice(*old.spans[h])]
    ]
    if not changed:
        return None
    by_name: dict[str, list[str]] = {}
    for header in new.spans:
        by_name.setdefault(header.split(" ", 1)[1], []).append(header)
    included = set(changed) | _naming(text, new.spans, changed)
    stubs: set[str] = set()
    queue = list(included)
    while queue:
        start, end = new.spans[queue.pop()]
        for line in text[start:end].split("\n")[2:]:
            words = line.split()
            routed = words[1:2] if words and words[0] in _ROUTING else []
            stubs.update(f"backend {w}" for w in routed if f"backend {w}" in new.spans)
            rest = line if not routed else " ".join(words[2:])
            for word in _WORD.findall(rest):
                for header in by_name.get(word, ()):
                    if header not in included:
                        included.add(header)
                        queue.append(header)
        if len(included) > max(50, len(new.spans) // 4):
            return None
    return _reduced_text(text, new.prefix_end, new.spans, changed, included, stubs - included)


def _naming(text: str, spans: Mapping[str, tuple[int, int]], changed: list[str]) -> set[str]:
    """Return the headers of the blocks whose text names one of the `changed` blocks."""
    starts = [start for start, _ in spans.values()]
    headers = list(spans)
    found: set[str] = set()
    for header in changed:
        name = header.split(" ", 1)[1]
        position = text.find(name, starts[0] if starts else len(text))
        hits = 0
        while position >= 0:
            before = text[position - 1] if position else " "
            after = text[position + len(name) : position + len(name) + 1]
            if not _WORD.match(before) and not _WORD.match(after or " "):
                found.add(headers[bisect.bisect_right(starts, position) - 1])
                hits += 1
                if hits > 1000:  # named everywhere: not worth a reduced file
                    return set(headers)
            position = text.find(name, position + len(name))
    return found - set(changed)


def _reduced_text(
    text: str,
    prefix_end: int,
    spans: Mapping[str, tuple[int, int]],
    changed: list[str],
    included: set[str],
    stubs: set[str],
) -> Reduced:
    parts = [text[:prefix_end]]
    reduced_line = text.count("\n", 0, prefix_end) + 1  # the line the next part starts
    lines = [(1, 1, reduced_line - 1)]
    previous, candidate_line = prefix_end, reduced_line
    for header, (start, end) in spans.items():
        if header not in included and header not in stubs:
            continue
        candidate_line += text.count("\n", previous, start)
        previous = start
        block = text[start:end] if header in included else _stub(text[start:end])
        lines.append((reduced_line, candidate_line, block.count("\n")))
        parts.append(block)
        reduced_line += block.count("\n")
    return Reduced("".join(parts), changed, lines)


def _stub(block: str) -> str:
    """Return a backend block reduced to its header and its `mode` line."""
    lines = block.split("\n")
    mode = [line for line in lines[2:] if line.split()[:1] == ["mode"]][:1]
    return "\n".join([*lines[:2], *mode]) + "\n"


def _candidate_places(message: str, reduced: Reduced) -> str:
    """Return a message of the reduced file's proof with the candidate's line numbers."""

    def place(match: re.Match[str]) -> str:
        return f"{match.group(1)}{reduced.candidate_line(int(match.group(2)))}"

    def quoted(match: re.Match[str]) -> str:
        line = reduced.candidate_line(int(match.group(2)))
        return f"{match.group(1)}{line}{match.group(3)}"

    return _QUOTED.sub(quoted, _PLACE.sub(place, message))
