"""What an edit starts from: masked secrets restored, and only what the edit names copied."""

from __future__ import annotations

import copy
from typing import Any

from controlplane.model.secrets import SECRET_MASK, mask_document, restore_secrets
from controlplane.usecases.edit_base import editable_copy, restored_secrets


def _with_password(example: dict[str, Any]) -> dict[str, Any]:
    example["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": "s3cr3t"}
    return example


def test_masked_secrets_are_restored_as_restore_secrets_does(example, monkeypatch) -> None:
    from controlplane.usecases import edit_base

    current = _with_password(example)
    monkeypatch.setattr(edit_base.REVISIONS, "document", lambda head, masked=True: current)
    sent = mask_document(current)
    restored = restored_secrets(sent, object())  # type: ignore[arg-type]
    assert restored == restore_secrets(sent, current)
    assert restored["vip_pairs"][0]["authentication"]["password"] == "s3cr3t"
    assert sent["vip_pairs"][0]["authentication"]["password"] == SECRET_MASK
    assert restored["pools"] is sent["pools"]


def test_a_document_without_a_masked_secret_is_used_as_it_came(example) -> None:
    restored = restored_secrets(example, None)
    assert restored == example and restored["pools"] is example["pools"]


def test_an_edit_naming_its_item_gets_a_copy_of_that_item_only(example) -> None:
    shared = copy.deepcopy(example)
    edited = editable_copy(shared, ("pools", "app"))
    app = next(p for p in edited["pools"] if p["name"] == "app")
    app["servers"][0]["weight"] = 1
    edited["pools"].append({"name": "new"})
    assert shared == example
    other = next(p for p in edited["pools"] if p["name"] != "app")
    assert other is next(p for p in shared["pools"] if p["name"] == other["name"])


def test_an_edit_naming_nothing_gets_a_deep_copy(example) -> None:
    shared = copy.deepcopy(example)
    edited = editable_copy(shared, None)
    edited["pools"][0]["servers"][0]["weight"] = 1
    edited["settings"] = {}
    assert shared == example
