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
