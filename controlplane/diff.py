"""Text diff between what lbctl would render and what is somewhere else (a folder, a host)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Status = Literal["unchanged", "changed", "added", "removed"]

# Secrets in rendered files: shown as changed, never printed.
_SECRET_LINE = re.compile(
    r"^(\s*(?:auth_pass|stats auth \S+?:|userlist-password|user \S+ password)\s*)\S.*$"
)


@dataclass(frozen=True)
class FileDiff:
    host: str
    file: str
    status: Status
    lines: list[str]  # unified diff lines, secrets masked


def mask_secrets(text: str, marker: str = "********") -> str:
    """Return text with secret values replaced by `marker`."""
    return "\n".join(_SECRET_LINE.sub(rf"\g<1>{marker}", line) for line in text.split("\n"))


def _secrets(text: str) -> list[str]:
    return [line for line in text.split("\n") if _SECRET_LINE.match(line)]


def diff_files(
    expected: Mapping[str, Mapping[str, str]], actual: Mapping[str, Mapping[str, str | None]]
) -> list[FileDiff]:
    """Return a FileDiff per host and file: `expected` is the render, `actual` what exists.

    Both map host -> file name -> text; a missing file in `actual` is None or absent.
    """
    diffs: list[FileDiff] = []
    for host in _ordered(expected, actual):
        wanted = expected.get(host, {})
        present = actual.get(host, {})
        for name in _ordered(wanted, present):
            diffs.append(_diff_one(host, name, wanted.get(name), present.get(name)))
    return diffs


def has_changes(diffs: list[FileDiff]) -> bool:
    return any(d.status != "unchanged" for d in diffs)


def _ordered(first: Mapping[str, object], second: Mapping[str, object]) -> list[str]:
    return list(first) + sorted(k for k in second if k not in first)


def _diff_one(host: str, name: str, new: str | None, old: str | None) -> FileDiff:
    if new == old:
        return FileDiff(host, name, "unchanged", [])
    status: Status = "added" if old is None else "removed" if new is None else "changed"
    label = f"{host}/{name}"
    # A changed secret shows as a changed line without either value.
    new_marker = "********" if _secrets(old or "") == _secrets(new or "") else "******** (changed)"
    lines = list(
        difflib.unified_diff(
            mask_secrets(old or "").splitlines(keepends=False),
            mask_secrets(new or "", new_marker).splitlines(keepends=False),
            fromfile=f"a/{label}" if old is not None else "/dev/null",
            tofile=f"b/{label}" if new is not None else "/dev/null",
            lineterm="",
        )
    )
    return FileDiff(host, name, status, lines)
