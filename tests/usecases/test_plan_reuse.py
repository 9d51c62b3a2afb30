"""A plan without secrets compares the renderings already made; with secrets, stand-ins."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from controlplane import store
from controlplane.store import Actor
from controlplane.usecases import revisions

ACTOR = Actor("alice", "operator", via="cli")


def _without_files(example: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(example)
    for key in ("certificates", "ca_bundles", "crls", "maps", "error_pages"):
        document.pop(key, None)
    document["frontends"] = [f for f in document["frontends"] if "tls" not in f]
    return document


def _deployed_then_edited(session, example) -> dict[str, Any]:
    document = _without_files(example)
    first = revisions.save_document(session, "prod", document, ACTOR, "first", None)
    deployment = store.create_deployment(session, first, "test")
    store.start_deployment(session, deployment.id)
    store.finish_deployment(session, deployment.id, "succeeded", [])
    document["pools"][0]["servers"][0]["weight"] = 3
    revisions.save_document(session, "prod", document, ACTOR, "second", 1)
    candidate = copy.deepcopy(document)
    candidate["pools"][0]["servers"][0]["weight"] = 4
    return candidate


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = revisions.validate_data

    def counting(document: dict[str, Any], source: str = "<model>") -> Any:
        seen.append(source)
        return real(document, source)

    monkeypatch.setattr(revisions, "validate_data", counting)
    return seen


def _answer(review: revisions.CandidateReview) -> tuple[Any, ...]:
    return (review.against_current, review.against_deployed, review.changes)


def test_a_plan_without_secrets_validates_no_stand_in_model(session, example, monkeypatch) -> None:
    candidate = _deployed_then_edited(session, example)
    validations = _counting(monkeypatch)
    fast = revisions.review_document(session, "prod", candidate)
    assert validations == []
    monkeypatch.setattr(revisions, "_any_secrets", lambda *args: True)
    assert _answer(revisions.review_document(session, "prod", candidate)) == _answer(fast)
    assert len(validations) == 3  # the candidate, the current and the deployed revision
    changed = [line for d in fast.against_current for line in d.lines if line.startswith("+ ")]
    assert any("weight 4" in line for line in changed)


def test_a_plan_with_a_vrrp_password_compares_stand_ins(session, example, monkeypatch) -> None:
    example["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": "s3cr3t"}
    candidate = _deployed_then_edited(session, example)
    validations = _counting(monkeypatch)
    review = revisions.review_document(session, "prod", candidate)
    assert len(validations) == 3
    assert not any("s3cr3t" in line for d in review.against_deployed for line in d.lines)
