"""Names the model refuses, renamed once per kind, with every reference following.

HAProxy takes names the model does not (`lbctl:monitor`, `web/api`, `_default`): each is
turned into the model's alphabet, made unique among its kind, and reported with the
mapping, so the operator can find the new name in the model.
"""

from __future__ import annotations

import re

from ..model.types import NAME_PATTERN
from .report import Report, Where

_NAME = re.compile(NAME_PATTERN)
_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


class Names:
    """Original name -> model name, per kind ("pool", "frontend", "userlist", ...)."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self._map: dict[tuple[str, str], str] = {}
        self._taken: dict[str, set[str]] = {}

    def name(self, kind: str, original: str, where: Where | None = None) -> str:
        """Return the model's name for `original` (the same one on every call)."""
        key = (kind, original)
        if key in self._map:
            return self._map[key]
        taken = self._taken.setdefault(kind, set())
        new = original
        if not _NAME.fullmatch(new):
            new = _BAD.sub("-", new).lstrip("_.-")[:63] or kind
        base, n = new, 2
        while new in taken:
            suffix = f"-{n}"
            new = base[: 63 - len(suffix)] + suffix
            n += 1
        taken.add(new)
        self._map[key] = new
        if new != original:
            self._report.add("renamed", where, f"{kind} {original}", f"is `{new}` in the model")
        return new

    def known(self, kind: str, original: str) -> str | None:
        return self._map.get((kind, original))
