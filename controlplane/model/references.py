"""The error for a name that refers to no object, shared by the area modules' rules."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from ..errors import FieldError


def unknown_reference(path: str, kind: str, value: str, known: Iterable[str]) -> FieldError:
    """Return "unknown KIND 'value' (known: 'a', 'b')" at `path`, listing at most 8 names."""
    shown = [repr(k) for k in itertools.islice(known, 8)]
    return FieldError(
        path, f"unknown {kind} {value!r} (known: {', '.join(shown) or 'none defined'})"
    )
