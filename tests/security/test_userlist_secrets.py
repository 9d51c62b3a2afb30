"""A user list's password hash shows nowhere: not in an answer, a page, a diff or the audit.

A hash lets whoever reads it guess the password offline, so it is a secret like a VRRP
password (tests/security/test_secret_oracles.py): the same answers and pages are read
after a hash is saved, replaced and deployed, and none may hold either hash.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from controlplane import store
from controlplane.usecases import revisions
from tests.model.test_userlists import SHA256, SHA512

from ..web.conftest import bearer
from ..web.ui_support import record_deployed
from .test_secret_oracles import API_PAGES

UI_PAGES = (
    "/preview",
    "/history",
    "/history/diff?a=1&b=2",
    "/history/diff?a=2&b=3",
    "/history/3/model.yaml",
    "/model/userlists/",
    "/model/userlists/ops",
    "/model/userlists/ops/users/ann",
    "/audit",
)


def save(app: Flask, password: str) -> None:
    def with_user(document: dict[str, Any]) -> None:
        document["userlists"] = [{"name": "ops", "users": [{"name": "ann", "password": password}]}]

    with app.extensions["lbctl.sessions"].begin() as session:
        head = store.current_revision(session, "example")
        assert head is not None
        actor = store.Actor("admin", "admin")
        revisions.edit_document(session, "example", with_user, actor, "users", head.number)


def test_no_answer_page_diff_or_audit_entry_shows_a_hash(
    app: Flask, client: FlaskClient, tokens: dict[str, str], as_role: Any
) -> None:
    save(app, SHA512)
    record_deployed(app, 2)
    save(app, SHA256)  # revision 3: the diff to deployed replaces one hash with another
    operator = bearer(tokens["operator"])
    answers = {path: client.get(path, headers=operator) for path in API_PAGES}
    model = client.get("/api/v1/model", headers=operator).get_json()["model"]
    assert model["userlists"][0]["users"][0]["password"] == "********"
    for path in ("/api/v1/render", "/api/v1/plan", "/api/v1/validate"):
        body = {} if path == "/api/v1/render" else {"model": model}
        answers[path] = client.post(path, json=body, headers=operator)
    admin = as_role("admin")
    answers |= {path: admin.get(path) for path in UI_PAGES}
    for path, response in answers.items():
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert SHA512 not in text and SHA256 not in text, path
    with app.extensions["lbctl.sessions"]() as session:
        entries = store.list_audit_entries(session, limit=100)
    details = json.dumps([e.detail for e in entries])
    assert "userlists[ops].users[ann]" in details
    assert SHA512 not in details and SHA256 not in details
