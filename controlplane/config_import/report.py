"""The import report: what became of each directive, with its source file and line."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["native", "extra", "translated", "dropped", "renamed", "differs", "missing"]
# Outcomes that change what the imported model does, or lose a line: exit status 1.
CHANGES_MEANING = frozenset({"dropped", "missing", "differs"})


class ImportRefused(Exception):
    """The input cannot be imported at all (exit status 2); the message names file and line."""


@dataclass(frozen=True)
class Where:
    """A line in an original file."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Item:
    outcome: Outcome
    where: Where | None
    text: str
    note: str = ""

    def __str__(self) -> str:
        place = f"{self.where}: " if self.where else ""
        note = f" -- {self.note}" if self.note else ""
        return f"{self.outcome}: {place}{masked(self.text)}{note}"


# A report line quotes config lines: the secrets some of them hold never reach it.
_SECRET = re.compile(r"((?:insecure-password|password|auth_pass)\s+|stats\s+auth\s+[^:\s]*:)\S+")


def masked(text: str) -> str:
    """Return a config line with its password, VRRP password or stats password masked."""
    return _SECRET.sub(lambda m: m.group(1) + "********", text)


@dataclass
class Report:
    """Every non-native directive, plus counts of all of them."""

    items: list[Item] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def native(self, n: int = 1) -> None:
        self.counts["native"] += n

    def add(self, outcome: Outcome, where: Where | None, text: str, note: str = "") -> None:
        self.counts[outcome] += 1
        self.items.append(Item(outcome, where, text, note))

    @property
    def changes_meaning(self) -> bool:
        return any(i.outcome in CHANGES_MEANING for i in self.items)

    @property
    def exit_status(self) -> int:
        return 1 if self.changes_meaning else 0

    def lines(self) -> list[str]:
        """Return the report as text lines: the counts first, then one line per item."""
        c = self.counts
        head = (
            f"import: {c['native']} modelled natively, {c['extra']} kept as extra, "
            f"{c['translated']} translated, {c['dropped']} dropped"
        )
        more = [f"{c[k]} {k}" for k in ("renamed", "missing", "differs") if c[k]]
        if more:
            head += " (" + ", ".join(more) + ")"
        return [head, *(str(i) for i in self.items)]
