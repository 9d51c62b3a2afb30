"""The API's nesting guard measures depth as a recursive walk would."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from controlplane.web.api import nested_deeper_than, text_nested_deeper_than

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


# Strings that hold what the text reading must see through: brackets, quotes, escapes.
_TRICKY = st.sampled_from(["[", "]", '{"', '"}', "\\", '\\"[', "é]", ""]) | st.text(max_size=3)
_TRICKY_JSON = st.recursive(
    st.none() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY, inner, max_size=3),
    max_leaves=30,
)


@given(_TRICKY_JSON, st.integers(0, 8), st.booleans())
def test_the_text_reading_agrees_with_the_walk_or_defers_to_it(
    value: Any, limit: int, ascii_only: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only).encode()
    found = text_nested_deeper_than(text, limit)
    assert found is None or found == (_depth(value) > limit)


def test_a_model_sized_body_is_read_from_its_text() -> None:
    body = {"model": {"pools": [{"servers": [{"name": f"s{i}"}]} for i in range(100)]}}
    text = json.dumps(body).encode()
    assert text_nested_deeper_than(text, 6) is False  # body, model, pools, pool, servers, s
    assert text_nested_deeper_than(text, 5) is True
    assert text_nested_deeper_than(b'{"a": "\\\\"}', 4) is None  # an escape: walked
