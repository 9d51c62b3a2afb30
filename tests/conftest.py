"""Fixtures shared by the whole suite."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support import EXAMPLE, load_yaml

_EXAMPLE = load_yaml(EXAMPLE)


@pytest.fixture
def example() -> dict[str, Any]:
    """A fresh, mutable copy of the example model document."""
    return copy.deepcopy(_EXAMPLE)
