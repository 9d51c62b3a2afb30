"""The revision cache: a revision is validated once, a new revision is a new entry, and the
cache stays within its bounds."""

from __future__ import annotations

from typing import Any

import pytest

from controlplane.model import LbModel, model_document
from controlplane.model.secrets import mask_document
from controlplane.store import revision_cache, revision_model, save_revision
from controlplane.store.revision_cache import REVISIONS, RevisionCache


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every validation the cache runs, by source."""
    seen: list[str] = []
    real = revision_cache.validate_data

    def counting(document: dict[str, Any], source: str = "<model>") -> Any:
        seen.append(source)
        return real(document, source)

    monkeypatch.setattr(revision_cache, "validate_data", counting)
    return seen


def _with_maxconn(model: LbModel, maxconn: int) -> LbModel:
    return model.model_copy(
        update={"settings": model.settings.model_copy(update={"maxconn": maxconn})}
    )


def test_reading_a_revision_again_does_not_validate_it_again(session, example_model, validations):
    revision = save_revision(session, "prod", example_model, "alice", "initial", None)
    first = revision_model(revision)
    for _ in range(3):
        assert revision_model(revision) is first
    assert REVISIONS.document(revision, masked=True) is REVISIONS.document(revision)
    assert validations == ["prod revision 1"]
    assert first == example_model


def test_a_new_revision_is_validated_and_the_old_one_stays_cached(
    session, example_model, validations
):
    old = save_revision(session, "prod", example_model, "alice", "initial", None)
    assert revision_model(old).settings.maxconn == example_model.settings.maxconn
    new = save_revision(session, "prod", _with_maxconn(example_model, 1000), "bob", "less", 1)
    assert revision_model(new).settings.maxconn == 1000
    assert revision_model(old).settings.maxconn == example_model.settings.maxconn
    assert validations == ["prod revision 1", "prod revision 2"]


def test_the_documents_are_the_models_in_schema_order_with_secrets_masked(session, example_model):
    revision = save_revision(session, "prod", example_model, "alice", "initial", None)
    document = REVISIONS.document(revision, masked=False)
    assert document == model_document(example_model)
    assert list(document) == list(model_document(example_model))
    assert REVISIONS.document(revision) == mask_document(document)


def test_the_cache_keeps_at_most_its_entry_count_least_recently_used_out(session, example_model):
    cache = RevisionCache(max_entries=2)
    revisions = [save_revision(session, "prod", example_model, "a", "1", None)]
    for number in (1, 2):
        model = _with_maxconn(example_model, 1000 + number)
        revisions.append(save_revision(session, "prod", model, "a", str(number), number))
    cache.loaded(revisions[0])
    cache.loaded(revisions[1])
    cache.loaded(revisions[0])  # now the most recent
    cache.loaded(revisions[2])
    assert len(cache) == 2
    assert (cache.stats.validations, cache.stats.evictions) == (3, 1)
    cache.loaded(revisions[0])
    assert cache.stats.validations == 3  # kept
    cache.loaded(revisions[1])
    assert cache.stats.validations == 4  # evicted, validated again


def test_the_cache_keeps_at_most_its_size_budget(session, example_model):
    revision = save_revision(session, "prod", example_model, "a", "1", None)
    size = len(revision.content)
    too_small = RevisionCache(max_entries=8, max_bytes=size - 1)
    too_small.loaded(revision)
    too_small.loaded(revision)
    assert (len(too_small), too_small.stats.validations) == (0, 2)
    room_for_one = RevisionCache(max_entries=8, max_bytes=size + 1)
    second = save_revision(session, "prod", _with_maxconn(example_model, 999), "a", "2", 1)
    room_for_one.loaded(revision)
    room_for_one.loaded(second)
    assert len(room_for_one) == 1 and room_for_one.weight() <= size + 1


def test_a_disabled_cache_validates_every_time(session, example_model):
    revision = save_revision(session, "prod", example_model, "a", "1", None)
    cache = RevisionCache(max_entries=0)
    cache.loaded(revision)
    cache.loaded(revision)
    assert (len(cache), cache.stats.validations) == (0, 2)


def test_a_revision_that_no_longer_validates_raises_every_time_without_validating_again(
    session, example_model, validations, monkeypatch
):
    from controlplane.errors import ModelInvalid, one_error

    revision = save_revision(session, "prod", example_model, "a", "1", None)

    def refuse(document: dict[str, Any], source: str = "<model>") -> Any:
        validations.append(source)
        raise one_error(source, "settings", "a rule tightened since")

    monkeypatch.setattr(revision_cache, "validate_data", refuse)
    for _ in range(2):
        with pytest.raises(ModelInvalid, match="1 error"):
            revision_model(revision)
    assert validations == ["prod revision 1"]


def test_the_masked_document_copies_only_the_sections_holding_secrets(example_model):
    from controlplane.store.revision_cache import masked_document

    document = model_document(example_model)
    pair = document["vip_pairs"][0]
    pair["authentication"] = {"type": "PASS", "password": "s3cr3t"}
    masked = masked_document(document)
    assert masked == mask_document(document)
    assert masked["vip_pairs"][0]["authentication"]["password"] == "********"
    assert document["vip_pairs"][0]["authentication"]["password"] == "s3cr3t"
    assert masked["pools"] is document["pools"]
