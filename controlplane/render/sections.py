"""Where each frontend and backend block of a rendered haproxy.cfg sits in its text.

lbctl's haproxy.cfg (templates/haproxy.cfg.j2) is a prefix (the header comment, global,
defaults, user lists, peers, resolvers, lbctl's own monitor and metrics frontends, stats
pages) followed by one block per frontend and then one block per backend. Every block is
"\\n" + its header line ("frontend NAME", "backend NAME") + its indented body lines: a
body line is never empty and holds no line break (render/jinja.py refuses one), so "\\n\\n"
occurs in the blocks' part of the file only where a block starts. The file is therefore
exactly prefix + the blocks in order, and a block depends on nothing but its own context:
an edit can replace, add or remove blocks and splice them into the text it had.

render/incremental.py splices blocks; the proof of a change (controlplane/section_proof.py),
the plan and the diff compare two renderings block by block.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class BlockIndex:
    """The blocks after a known prefix: header line -> (start, end) offsets in the text."""

    prefix_end: int
    spans: dict[str, tuple[int, int]]


class NotSplittable(ValueError):
    """The text does not have the layout this module reads (a caller renders in full)."""


def text_blocks(text: str) -> BlockIndex:
    """Return the frontend and backend blocks of a rendered haproxy.cfg and where they start.

    Walks back from the end over blocks whose header is `frontend NAME` or `backend NAME`
    (lbctl's own frontends, named `lbctl:...`, and stats pages belong to the prefix).
    """
    held = _HELD.get(id(text))
    if held is not None and held[0] is text:
        return held[1]
    return _text_blocks(text)


def remember_blocks(prefix: str, blocks: list[tuple[str, int]], text: str) -> None:
    """Record the blocks of `text`, made as `prefix` followed by `blocks` (header, length)
    in order, so text_blocks(text) need not split it (20-30 ms for 100,000 lines).

    Nothing is recorded when the prefix's last part reads as a block (text_blocks would
    then take it for one): text_blocks finds the same index either way.
    """
    if _block_header(prefix.rsplit("\n\n", 1)[-1].partition("\n")[0]):
        return
    spans: dict[str, tuple[int, int]] = {}
    at = len(prefix)
    for header, length in blocks:
        spans[header] = (at, at + length)
        at += length
    if at != len(text) or len(spans) != len(blocks):
        return
    with _HELD_LOCK:
        _HELD[id(text)] = (text, BlockIndex(len(prefix), spans))
        while len(_HELD) > _HELD_TEXTS:
            _HELD.pop(next(iter(_HELD)))


# The indexes of the last few texts render/incremental.py spliced, by the text's identity
# (kept with the text, so an id reused by another text never matches).
_HELD_TEXTS = 8
_HELD: dict[int, tuple[str, BlockIndex]] = {}
_HELD_LOCK = threading.Lock()


# Kept for the last few texts: a base rendering is compared with and spliced into by every
# plan against it. One split of a 100,000-line file takes about 5 ms.
@functools.lru_cache(maxsize=8)
def _text_blocks(text: str) -> BlockIndex:
    parts = text.split("\n\n")
    first = len(parts)
    while first > 1 and _block_header(parts[first - 1].partition("\n")[0]):
        first -= 1
    return _spans(parts, first, len(text))


def index_blocks(text: str, prefix_end: int) -> BlockIndex:
    """Return the blocks of `text` after `prefix_end`, where its first block starts.

    Raises NotSplittable when that part does not start a block or two blocks share a header.
    """
    tail = text[prefix_end:]
    if tail and not tail.startswith("\n"):
        raise NotSplittable(f"no block starts at offset {prefix_end}")
    parts = ("\n" + tail).split("\n\n") if tail else [""]
    # "\n" + tail starts with "\n\n": parts[0] is "" and the blocks are parts[1:].
    index = _spans(parts, 1, len(tail) + 1)
    shift = prefix_end - 1
    return BlockIndex(prefix_end, {h: (a + shift, b + shift) for h, (a, b) in index.spans.items()})


def _spans(parts: list[str], first: int, length: int) -> BlockIndex:
    """Return the blocks parts[first:] of a text of `length` characters split at "\n\n".

    Block i is "\n" + parts[i], and "\n" more when another block follows it.
    """
    found: list[tuple[str, tuple[int, int]]] = []
    end = length
    for part in reversed(parts[first:]):
        start = end - len(part) - (1 if not found else 2)
        header = part.partition("\n")[0]
        if not header or header[0].isspace():
            raise NotSplittable(f"the block at offset {start} has no header")
        found.append((header, (start, end)))
        end = start
    spans = dict(reversed(found))
    if len(spans) != len(found):
        raise NotSplittable("two blocks share a header")
    return BlockIndex(end, spans)


def _block_header(header: str) -> bool:
    words = header.split(" ")
    return len(words) == 2 and words[0] in ("frontend", "backend") and ":" not in words[1]
