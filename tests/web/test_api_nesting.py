"""The API's nesting guard measures depth as a recursive walk would."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from controlplane.web.api import nested_deeper_than

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@given(_JSON, st.integers(0, 8))
def test_nesting_is_measured_as_a_recursive_walk_does(value: Any, limit: int) -> None:
    assert nested_deeper_than(value, limit) == (_depth(value) > limit)


def test_a_mapping_subclass_counts_as_an_object() -> None:
    class Ordered(dict[str, Any]):
        pass

    assert nested_deeper_than(Ordered(a=[{"b": []}]), 3)
    assert not nested_deeper_than(Ordered(a=[{"b": []}]), 4)
