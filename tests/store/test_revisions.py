"""Revisions: an immutable, numbered chain per environment, refused when based on a stale one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from controlplane.model import LbModel
from controlplane.store import (
    InvalidName,
    NotFound,
    Revision,
    StaleRevision,
    current_revision,
    diff_revisions,
    get_revision,
    list_environments,
    list_revisions,
    revision_model,
    rollback_to,
    save_revision,
)
from controlplane.store.keys import REVISION_HASH_KEY, store_key
from controlplane.store.revisions import revision_hash


def _with_maxconn(model: LbModel, maxconn: int) -> LbModel:
    return model.model_copy(
        update={"settings": model.settings.model_copy(update={"maxconn": maxconn})}
    )


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Revision)) or 0


def test_revisions_chain_with_numbers_parents_and_content_hashes(session, example_model):
    first = save_revision(session, "prod", example_model, "alice", "initial", None)
    second = save_revision(session, "prod", _with_maxconn(example_model, 1000), "bob", "less", 1)
    session.commit()

    assert (first.number, first.parent_id) == (1, None)
    assert (second.number, second.parent_id) == (2, first.id)
    assert (second.author, second.message) == ("bob", "less")
    assert second.created_at.tzinfo is not None and second.created_at >= first.created_at
    key = store_key(session, REVISION_HASH_KEY)
    for revision in (first, second):
        assert revision.content_hash == revision_hash(revision.content, revision.secrets_salt, key)
    assert first.content_hash != second.content_hash
    assert current_revision(session, "prod").id == second.id


def test_the_stored_model_equals_the_saved_one(session, example_model):
    save_revision(session, "prod", example_model, "alice", "initial", None)
    session.commit()
    assert revision_model(get_revision(session, "prod", 1)) == example_model


def test_environments_are_numbered_independently(session, example_model):
    save_revision(session, "prod", example_model, "alice", "p1", None)
    save_revision(session, "prod", example_model, "alice", "p2", 1)
    staging = save_revision(session, "staging", example_model, "alice", "s1", None)
    assert staging.number == 1
    assert list_environments(session) == ["prod", "staging"]


def test_a_write_based_on_a_stale_revision_is_refused(session, example_model):
    save_revision(session, "prod", example_model, "alice", "initial", None)
    save_revision(session, "prod", example_model, "alice", "second", 1)
    session.commit()

    with pytest.raises(StaleRevision) as refused:
        save_revision(session, "prod", _with_maxconn(example_model, 5), "bob", "late", 1)
    assert (refused.value.environment, refused.value.base, refused.value.current) == ("prod", 1, 2)
    assert _count(session) == 2


def test_a_first_revision_must_have_no_base_and_later_ones_must_have_one(session, example_model):
    with pytest.raises(StaleRevision) as refused:
        save_revision(session, "prod", example_model, "alice", "initial", 3)
    assert refused.value.current is None
    save_revision(session, "prod", example_model, "alice", "initial", None)
    with pytest.raises(StaleRevision):
        save_revision(session, "prod", example_model, "bob", "as if new", None)


def test_environment_names_are_checked(session, example_model):
    with pytest.raises(InvalidName):
        save_revision(session, "../prod", example_model, "alice", "initial", None)


def test_list_revisions_is_newest_first_and_paginated(session, example_model):
    for number in range(5):
        save_revision(session, "prod", example_model, "alice", f"r{number + 1}", number or None)
    assert [r.number for r in list_revisions(session, "prod")] == [5, 4, 3, 2, 1]
    assert [r.number for r in list_revisions(session, "prod", limit=2, offset=2)] == [3, 2]


def test_getting_a_missing_revision_raises_not_found(session):
    with pytest.raises(NotFound):
        get_revision(session, "prod", 7)


def test_rollback_creates_a_new_revision_equal_to_the_old_one(session, example_model):
    old = save_revision(session, "prod", example_model, "alice", "good", None)
    save_revision(session, "prod", _with_maxconn(example_model, 7), "bob", "bad", 1)

    back = rollback_to(session, "prod", 1, "carol", base_revision=2)
    session.commit()

    assert (back.number, back.message, back.author) == (3, "Roll back to revision 1", "carol")
    assert back.content_hash == old.content_hash
    assert revision_model(back) == example_model
    assert diff_revisions(old, back) == ""


def test_rollback_from_a_stale_base_is_refused(session, example_model):
    save_revision(session, "prod", example_model, "alice", "good", None)
    save_revision(session, "prod", example_model, "bob", "bad", 1)
    with pytest.raises(StaleRevision):
        rollback_to(session, "prod", 1, "carol", base_revision=1)


def test_diff_shows_what_changed_between_two_revisions(session, example_model):
    old = save_revision(session, "prod", example_model, "alice", "initial", None)
    new = save_revision(session, "prod", _with_maxconn(example_model, 1000), "bob", "less", 1)
    diff = diff_revisions(old, new)
    assert diff.startswith("--- prod@1\n+++ prod@2\n")
    assert "+settings:\n+  maxconn: 1000\n" in diff
