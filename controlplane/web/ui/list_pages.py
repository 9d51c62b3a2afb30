"""One page of a model list: a list page shows PAGE_SIZE items, found by name, never all.

At 5,000 pools a full pool list was 1.25 MB of HTML and 2 s to answer; a page of 100 rows
costs the same whatever the model weighs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 100
MAX_QUERY = 64  # a name is at most 63 characters


@dataclass(frozen=True)
class ListPage:
    """The items shown, where they sit in the (filtered) list, and the filter."""

    items: Sequence[dict[str, Any]]
    number: int  # 1-based
    pages: int
    total: int  # items matching the filter
    query: str

    @property
    def first(self) -> int:
        """1-based position of the first item shown (0 when none)."""
        return (self.number - 1) * PAGE_SIZE + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def list_page(items: Sequence[dict[str, Any]], args: Mapping[str, str]) -> ListPage:
    """Return the page `args["page"]` (1 when absent or not a number) of the items whose
    name holds `args["q"]` (case-insensitive), in the model's order."""
    query = (args.get("q") or "").strip()[:MAX_QUERY]
    if query:
        wanted = query.lower()
        items = [i for i in items if wanted in str(i.get("name", "")).lower()]
    pages = max(1, -(-len(items) // PAGE_SIZE))
    raw = args.get("page") or "1"
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 9 else 1
    number = min(max(number, 1), pages)
    start = (number - 1) * PAGE_SIZE
    return ListPage(items[start : start + PAGE_SIZE], number, pages, len(items), query)
