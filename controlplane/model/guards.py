"""What is read from a YAML text's event stream rather than from ryaml's result.

Before parsing: what would cost the parser too much.

ryaml is fast on ordinary documents but has two costly corners: it slows down
quadratically with flow nesting (`{a: {a: ...`) before its own limit of 128 levels stops it,
and it copies an alias's value at every use, so a 1 MB string used 400 times becomes 400 MB.
Both checks are cheap for a document without those constructs, and exact when they run:
libyaml's event stream (PyYAML's C parser, iterative) tells the real depth and the real
expanded size, without building the document.

After a refusal: where a duplicate key is (serde_yaml does not say).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import one_error

# PyYAML is imported by the functions that walk events: an ordinary document never needs
# it, and its import is on the path of every `lbctl validate` (0.02 s of CPU).
if TYPE_CHECKING:
    import yaml

MAX_FLOW_DEPTH = 64
MERGE_KEY = "<<"
MAX_EXPANDED_BYTES = 64 * 1024 * 1024

_BRACKETS = re.compile(r"[\[\]{}]")
# `*name` where YAML may read an alias (a plain `*` inside text is rarer; it costs only time).
_ALIAS = re.compile(r"(?:^|[\s\[{,])\*[^\s,\[\]{}]")
_LOADER: Any = None  # PyYAML's C loader when it has one; set when first needed


def _loader() -> Any:
    global _LOADER
    if _LOADER is None:
        import yaml

        _LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return _LOADER


def check_flow_depth(text: str, source: str) -> None:
    """Refuse flow collections nested deeper than MAX_FLOW_DEPTH.

    Counting brackets bounds the depth from above (brackets inside quotes count too), so
    only a document that may be too deep is walked event by event.
    """
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return
    depth = peak = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        peak = max(peak, depth)
    if peak <= MAX_FLOW_DEPTH:
        return
    where = _too_deep_at(text)
    if where is not None:
        raise one_error(source, where, f"nested deeper than {MAX_FLOW_DEPTH} levels")


def _too_deep_at(text: str) -> str | None:
    """Return where collections first nest deeper than MAX_FLOW_DEPTH, or None.

    Some libyaml builds (PyYAML 6.0.4's) refuse nesting past 1,000 levels with a scanner
    error before the first event; the text up to that error is deep enough to hold the
    answer, so it is walked instead. The guard never depends on the parser's own limit.
    """
    import yaml

    depth = 0
    try:
        for event in yaml.parse(text, Loader=_loader()):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_FLOW_DEPTH:
                    return _position(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        if mark is not None and "nesting depth" in str(error.problem) and mark.index < len(text):
            return _too_deep_at(text[: mark.index])
    except yaml.YAMLError:
        pass  # malformed: the real parse reports it with its position
    return None


def check_alias_expansion(text: str, source: str) -> None:
    """Refuse a document whose aliases would expand it past MAX_EXPANDED_BYTES."""
    # `in` first: the regex alone took 0.05 s on a 3 MB document holding no `*` at all.
    if "*" not in text or _ALIAS.search(text) is None:
        return
    import yaml

    anchored: dict[str, int] = {}  # anchor -> size of its node, expanded
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, size so far) per open collection
    for event in _events(text):
        if isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append((event.anchor, 1))
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = open_nodes.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, len(event.value) + 1
        elif isinstance(event, yaml.AliasEvent):
            # The parser always names an alias's anchor; the stubs allow None for any node.
            anchor, size = None, anchored.get(event.anchor or "", 0)
        else:
            continue
        if anchor is not None:
            anchored[anchor] = size
        if open_nodes:
            parent_anchor, parent_size = open_nodes[-1]
            size += parent_size
            open_nodes[-1] = (parent_anchor, size)
        if size > MAX_EXPANDED_BYTES:
            limit = f"{MAX_EXPANDED_BYTES // 2**20} MiB"
            raise one_error(source, "", f"aliases expand the document past {limit} (alias bomb?)")


def locate_duplicate_key(text: str) -> tuple[str, str] | None:
    """Return (position, message) of the first repeated mapping key; serde_yaml gives none.

    Only runs on a document already refused for a duplicate key.
    """
    import yaml

    # One frame per open collection: [keys seen, a key comes next] for mappings, None for lists.
    frames: list[tuple[set[str], list[bool]] | None] = []
    for event in _events(text):
        frame = frames[-1] if frames else None
        is_key = frame is not None and frame[1][0]
        if frame is not None and not isinstance(event, yaml.CollectionEndEvent):
            frame[1][0] = not frame[1][0]
        if isinstance(event, yaml.ScalarEvent) and is_key and frame is not None:
            if event.value in frame[0] and event.value != MERGE_KEY:
                return _position(event), f"duplicate key {event.value!r}"
            frame[0].add(event.value)
        elif isinstance(event, yaml.MappingStartEvent):
            frames.append((set(), [True]))
        elif isinstance(event, yaml.SequenceStartEvent):
            frames.append(None)
        elif isinstance(event, yaml.CollectionEndEvent):
            frames.pop()
    return None


def _position(event: yaml.Event) -> str:
    """Return where an event starts: "line L, column C", counted from 1."""
    mark = event.start_mark
    # The parser marks every event it makes; the stubs allow None for events made by hand.
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"


def _events(text: str) -> Iterator[yaml.Event]:
    import yaml

    try:
        yield from yaml.parse(text, Loader=_loader())
    except yaml.YAMLError:
        return  # malformed: the real parse reports it with its position
