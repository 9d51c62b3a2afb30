"""A composed revision text is the canonical dump, byte for byte, whatever it reuses."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlplane.store.revision_json import canonical_json, composed_json
from tests.model.strategies import valid_documents

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=6), _JSON | st.lists(_JSON, max_size=4), max_size=5))
def test_a_document_composes_to_its_canonical_dump(document: dict[str, Any]) -> None:
    text, texts = composed_json(document, {})
    assert text == canonical_json(document)
    again, _ = composed_json(document, texts)
    assert again == text


# Documents are slow to draw (tests/model/conftest.py); the text logic is simple.
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(valid_documents(), st.data())
def test_an_edit_reusing_the_bases_texts_composes_to_its_dump(
    document: dict[str, Any], data: st.DataObject
) -> None:
    _, known = composed_json(document, {})
    edited = dict(document)  # shares the base's items, as an edited document does
    kind = data.draw(
        st.sampled_from(sorted(k for k, v in document.items() if v and isinstance(v, list)))
    )
    items = list(document[kind])
    index = data.draw(st.integers(0, len(items) - 1))
    changed = copy.deepcopy(items[index])
    if isinstance(changed, dict):
        changed["name"] = "edited-é"  # not ASCII: the dump escapes it
    items[index] = changed
    edited[kind] = [*items, items[0]]  # an item twice
    text, texts = composed_json(edited, known)
    assert text == canonical_json(edited)
    assert texts[id(changed)] == (changed, canonical_json(changed))


def test_a_text_is_reused_only_for_the_same_item() -> None:
    first = {"name": "a"}
    _, known = composed_json({"pools": [first]}, {})
    other = {"name": "b"}
    # An id seen before but another object: its own text, never the remembered one.
    forged = {id(other): (first, canonical_json(first))}
    assert composed_json({"pools": [other]}, known | forged)[0] == '{"pools":[{"name":"b"}]}'
