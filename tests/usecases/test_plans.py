"""The plan of a candidate is made from the current revision's files: rendered block by
block, proven by its changed sections with the real certificates, and answered as the full
way answers."""

from __future__ import annotations

import copy

import pytest

from controlplane import store
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.store.revision_cache import REVISIONS
from controlplane.usecases import plans, revisions, stored_files
from tests.support import SEED, needs_binaries
from tests.tls_material import make_ca, make_leaf

from .test_stored_files import ADMIN, ENV, tls_document

pytestmark = needs_binaries


@pytest.fixture(autouse=True)
def files_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FILES_KEY_ENV, new_key())
    # Each test's store names its revision and file version alike: nothing from another.
    REVISIONS.clear()


def _saved(session) -> dict:
    leaf = make_leaf(make_ca(), "www.example.com")
    stored_files.put_certificate(session, ENV, ADMIN, "site", leaf.bundle())
    document = tls_document()
    revisions.save_document(session, ENV, document, SEED, "tls", None)
    return document


def _one_server(document: dict, weight: int) -> dict:
    edited = copy.deepcopy(document)
    edited["pools"][0]["servers"][0]["weight"] = weight
    return edited


def test_a_one_server_plan_is_proven_by_section_with_the_real_certificate(session) -> None:
    document = _saved(session)
    plans.plan_document(session, ENV, _one_server(document, 5))  # proves the base whole
    plan = plans.plan_document(session, ENV, _one_server(document, 6))
    assert plan.proof is not None and plan.rendering is not None
    assert not plan.rendering.full
    assert plan.proof_summary().startswith("proved by section: ")
    haproxy = [c for c in plan.proof.report.checks if c.file == "haproxy.cfg"]
    assert haproxy and all(c.ok for c in haproxy)
    # The certificate travels with the file: proven for real, never stood in for.
    assert not any("site" in path for c in haproxy for path in c.substituted)


def test_a_plan_answers_as_the_full_review_does(session) -> None:
    document = _saved(session)
    candidate = _one_server(document, 9)
    plan = plans.plan_document(session, ENV, candidate)
    full = revisions.review_document(session, ENV, candidate)
    assert plan.review.against_current == full.against_current
    assert plan.review.against_deployed == full.against_deployed
    assert plan.review.changes == full.changes
    assert [str(w) for w in plan.review.loaded.warnings] == [str(w) for w in full.loaded.warnings]


def _with_secrets(session, example: dict) -> dict:
    """Deployed with one VRRP password, current with another; the candidate as the API
    shows it: secrets masked, one weight changed."""
    document = copy.deepcopy(example)
    for key in ("certificates", "ca_bundles", "crls", "maps", "error_pages"):
        document.pop(key, None)
    document["frontends"] = [f for f in document["frontends"] if "tls" not in f]
    document["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": "first1"}
    first = revisions.save_document(session, ENV, document, SEED, "first", None)
    deployment = store.create_deployment(session, first, "test")
    store.start_deployment(session, deployment.id)
    store.finish_deployment(session, deployment.id, "succeeded", [])
    document["vip_pairs"][0]["authentication"]["password"] = "second2"
    second = revisions.save_document(session, ENV, document, SEED, "second", 1)
    candidate = copy.deepcopy(revisions.revision_document(second, masked=True))
    candidate["pools"][0]["servers"][0]["weight"] = 4
    return candidate


def test_masked_secrets_are_planned_by_blocks_as_the_full_way_plans_them(session, example) -> None:
    candidate = _with_secrets(session, example)
    plan = plans.plan_document(session, ENV, candidate)
    assert plan.proof is not None and plan.rendering is not None and not plan.rendering.full
    full = revisions.review_document(session, ENV, candidate)
    assert plan.review.against_current == full.against_current
    assert plan.review.against_deployed == full.against_deployed
    assert plan.review.changes == full.changes
    lines = [line for d in plan.review.against_deployed for line in d.lines]
    assert any("(changed)" in line for line in lines)
    assert not any("first1" in line or "second2" in line for line in lines)


def test_a_secret_sent_as_a_value_is_planned_the_full_way(session, example) -> None:
    candidate = _with_secrets(session, example)
    candidate["vip_pairs"][0]["authentication"]["password"] = "second2"  # the stored one
    plan = plans.plan_document(session, ENV, candidate)
    assert plan.proof is None
    lines = [line for d in plan.review.against_current for line in d.lines]
    assert any("(changed)" in line for line in lines)  # says nothing of the guess


def _same_review(plan: plans.Plan, other: plans.Plan) -> None:
    assert plan.review.against_current == other.review.against_current
    assert plan.review.against_deployed == other.review.against_deployed
    assert plan.review.changes == other.review.changes
    assert plan.review.current == other.review.current
    assert plan.review.deployed == other.review.deployed
    assert [str(w) for w in plan.review.loaded.warnings] == [
        str(w) for w in other.review.loaded.warnings
    ]


def test_a_saved_revision_is_planned_as_its_document_is(session, example) -> None:
    candidate = _with_secrets(session, example)  # revision 1 deployed, revision 2 current
    saved = revisions.save_document(session, ENV, candidate, SEED, "one weight", 2)
    by_number = plans.plan_revision(session, ENV, saved.number)
    as_document = plans.plan_document(
        session, ENV, copy.deepcopy(revisions.revision_document(saved, masked=True))
    )
    _same_review(by_number, as_document)
    assert all(d.status == "unchanged" for d in by_number.review.against_current)
    assert any(d.status == "changed" for d in by_number.review.against_deployed)


def test_an_older_revision_is_planned_against_the_current_one(session) -> None:
    document = _saved(session)  # revision 1
    revisions.save_document(session, ENV, _one_server(document, 7), SEED, "seven", 1)
    older = plans.plan_revision(session, ENV, 1)
    assert older.review.current is not None and older.review.current.number == 2
    _same_review(older, plans.plan_document(session, ENV, document))
    lines = [line for d in older.review.against_current for line in d.lines]
    assert any(line.startswith("-") and "weight 7" in line for line in lines)


def test_a_saved_revision_is_rendered_from_its_parent_and_proven_by_section(session) -> None:
    document = _saved(session)
    plans.plan_document(session, ENV, _one_server(document, 5))  # proves revision 1 whole
    saved = revisions.save_document(session, ENV, _one_server(document, 6), SEED, "six", 1)
    plan = plans.plan_revision(session, ENV, saved.number)
    assert plan.proof_summary().startswith("proved by section: ")
    assert plan.review.loaded.model == REVISIONS.loaded(saved).model
    rendered = revisions.revision_rendering(session, saved)[1]
    assert plan.rendering is not None and plan.rendering.rendered is rendered
    REVISIONS.clear()  # rendered the full way now: the very same files
    again = revisions.revision_rendering(session, saved)[1]
    assert [h.files for h in again.hosts] == [h.files for h in rendered.hosts]


def test_planning_an_unknown_revision_says_it_is_not_found(session) -> None:
    _saved(session)
    with pytest.raises(store.NotFound):
        plans.plan_revision(session, ENV, 9)


def test_after_a_save_a_plan_is_proven_against_the_last_base_proven_whole(session) -> None:
    document = _saved(session)
    plans.plan_document(session, ENV, _one_server(document, 5))  # proves revision 1 whole
    saved = revisions.save_document(session, ENV, _one_server(document, 6), SEED, "six", 1)
    plan = plans.plan_document(session, ENV, _one_server(document, 7))
    assert plan.proof_summary().startswith("proved by section: ")
    # The new current revision's files were not proven whole to prove this change.
    assert not plans._proven_whole(revisions.revision_rendering(session, saved)[1])
    by_number = plans.plan_revision(session, ENV, saved.number)
    assert by_number.proof_summary().startswith("proved by section: ")
    full = revisions.review_document(session, ENV, _one_server(document, 7))
    assert plan.review.against_current == full.against_current
    assert plan.review.against_deployed == full.against_deployed
    assert plan.review.changes == full.changes
