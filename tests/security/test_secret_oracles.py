"""A VRRP password cannot be confirmed by guessing: not from a hash, a plan, a save or a page.

The password has 1-8 characters, so any answer that differs between a right and a wrong
guess lets a viewer find it, offline from a hash or by asking the API. The rule: a secret
sent as the mask `********` keeps the stored one; a secret sent as a value replaces it,
and is reported as replaced whether or not it equals the stored one.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from controlplane import store
from controlplane.model import load_model_file
from controlplane.model.secrets import SECRET_MASK
from controlplane.store import make_engine, upgrade
from controlplane.store.keys import REVISION_HASH_KEY, store_key
from controlplane.store.revisions import canonical_content, revision_hash
from controlplane.store.tables import Revision, utc_now
from controlplane.usecases import revisions
from controlplane.web.ui.forms import item_values
from controlplane.web.ui.specs import TOP_LEVEL

from ..store.conftest import Backend
from ..support import EXAMPLE, MODELS
from ..web.conftest import bearer
from ..web.ui_support import post_form, record_deployed

RIGHT = "Zq7+x_Pw"
WRONG = "Zq7+x_Px"


def with_password(app: Flask) -> store.Revision:
    """Save a revision whose VIP pair `edge` has the VRRP password RIGHT; return it."""

    def authenticate(document: dict[str, Any]) -> None:
        document["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": RIGHT}

    with app.extensions["lbctl.sessions"].begin() as session:
        head = store.current_revision(session, "example")
        assert head is not None
        actor = store.Actor("admin", "admin")
        revision = revisions.edit_document(
            session, "example", authenticate, actor, "auth", head.number
        )
        session.expunge(revision)
        return revision


def masked_model(client: FlaskClient, token: str) -> dict[str, Any]:
    """Return the current model as the API gives it to a viewer (secrets masked)."""
    return client.get("/api/v1/model", headers=bearer(token)).get_json()["model"]


def with_secret(model: dict[str, Any], password: str) -> dict[str, Any]:
    changed = copy.deepcopy(model)
    changed["vip_pairs"][0]["authentication"]["password"] = password
    return changed


def stored_password(app: Flask) -> str:
    with app.extensions["lbctl.sessions"]() as session:
        document = revisions.revision_document(store.current_revision(session, "example"), False)
    return document["vip_pairs"][0]["authentication"]["password"]


# --- The hash viewers see -------------------------------------------------------------


def test_the_hash_is_not_that_of_the_masked_export_with_the_password_put_back(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    number = with_password(app).number
    viewer = bearer(tokens["viewer"])
    shown = client.get(f"/api/v1/revisions/{number}", headers=viewer).get_json()
    exported = client.get("/api/v1/model.yaml", headers=viewer).get_data(as_text=True)

    guessed = with_secret(shown["model"], RIGHT)
    canonical = json.dumps(guessed, sort_keys=True, separators=(",", ":"))
    candidates = [canonical, exported.replace(f"'{SECRET_MASK}'", RIGHT)]
    assert yaml.safe_load(candidates[1]) == guessed  # the guess is put back faithfully
    assert shown["hash"] not in {hashlib.sha256(c.encode()).hexdigest() for c in candidates}


def test_the_hash_is_keyed_with_the_stores_own_key(sessions: sessionmaker[Session]) -> None:
    model = load_model_file(MODELS / "sticky_tls_tcp.yaml").model
    with sessions.begin() as session:
        revision = store.save_revision(session, "prod", model, "alice", "", None)
        key = store_key(session, REVISION_HASH_KEY)
    content, salt = revision.content, revision.secrets_salt
    assert revision.content_hash == revision_hash(content, salt, key)
    assert revision.content_hash != revision_hash(content, salt, bytes(32))
    assert revision.content_hash != hashlib.sha256(content.encode()).hexdigest()


def test_a_migrated_store_serves_no_unsalted_hash(backend: Backend) -> None:
    engine = make_engine(backend.empty_url())
    try:
        upgrade(engine, "0002")
        secret = canonical_content(load_model_file(MODELS / "sticky_tls_tcp.yaml").model)
        no_secret = canonical_content(load_model_file(EXAMPLE).model)
        with engine.begin() as connection:
            for number, content in enumerate([secret, no_secret], start=1):
                plain = hashlib.sha256(content.encode()).hexdigest()
                values = dict(environment="prod", number=number, author="a", message="")
                connection.execute(
                    insert(Revision).values(
                        **values, created_at=utc_now(), content=content, content_hash=plain
                    )
                )
        upgrade(engine)
        with Session(engine) as session:
            key = store_key(session, REVISION_HASH_KEY)
            stored = session.scalars(select(Revision).order_by(Revision.number)).all()
            for revision in stored:
                expected = revision_hash(revision.content, revision.secrets_salt, key)
                assert revision.content_hash == expected  # as the app computes it today
                unsalted = hashlib.sha256(revision.content.encode()).hexdigest()
                assert revision.content_hash != unsalted
            assert len(stored[0].secrets_salt) == 32 and stored[1].secrets_salt == ""
    finally:
        engine.dispose()


# --- Comparing a posted model with the stored one --------------------------------------


def test_plan_answers_a_right_and_a_wrong_password_alike(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    with_password(app)
    viewer = bearer(tokens["viewer"])
    model = masked_model(client, tokens["viewer"])

    right, wrong = (
        client.post("/api/v1/plan", json={"model": with_secret(model, p)}, headers=viewer)
        for p in (RIGHT, WRONG)
    )

    assert right.status_code == wrong.status_code == 200
    assert right.get_json() == wrong.get_json()
    answer = right.get_json()["against_current"]
    assert answer["changed"] is True  # a password sent as a value is a replaced password
    lines = [line for f in answer["files"] for line in f["lines"]]
    assert "+        auth_pass ******** (changed)" in lines
    assert RIGHT not in right.get_data(as_text=True)


def test_plan_against_the_deployed_revision_answers_alike_too(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    record_deployed(app, with_password(app).number)
    viewer = bearer(tokens["viewer"])
    model = masked_model(client, tokens["viewer"])

    right, wrong = (
        client.post("/api/v1/plan", json={"model": with_secret(model, p)}, headers=viewer)
        for p in (RIGHT, WRONG)
    )

    assert right.get_json() == wrong.get_json()
    assert right.get_json()["against_deployed"]["changed"] is True
    assert {"host", "file", "what", "path"} <= set(right.get_json()["changes"][0])


def test_plan_of_the_masked_model_keeps_the_password(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    record_deployed(app, with_password(app).number)
    viewer = bearer(tokens["viewer"])
    model = masked_model(client, tokens["viewer"])

    answer = client.post("/api/v1/plan", json={"model": model}, headers=viewer).get_json()

    assert answer["against_current"]["changed"] is False
    assert answer["against_deployed"]["changed"] is False
    assert answer["changes"] == []


def test_validate_and_render_answer_a_right_and_a_wrong_password_alike(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    with_password(app)
    viewer = bearer(tokens["viewer"])
    model = masked_model(client, tokens["viewer"])
    for path in ("/api/v1/validate", "/api/v1/render"):
        right, wrong = (
            client.post(path, json={"model": with_secret(model, p)}, headers=viewer)
            for p in (RIGHT, WRONG)
        )
        assert right.status_code == wrong.status_code == 200, path
        assert right.get_json() == wrong.get_json(), path


def test_saving_the_same_password_again_gives_a_new_hash(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    before = with_password(app)
    operator = bearer(tokens["operator"])
    model = masked_model(client, tokens["operator"])

    answers = []
    for base, password in enumerate((RIGHT, WRONG), start=before.number):
        body = {"base_revision": base, "model": with_secret(model, password)}
        answers.append(client.put("/api/v1/model", json=body, headers=operator).get_json())

    right, wrong = answers
    assert before.content_hash not in {right["hash"], wrong["hash"]}
    assert RIGHT not in json.dumps(answers)
    with app.extensions["lbctl.sessions"]() as session:
        entry = store.list_audit_entries(session, limit=1)[0]
    assert entry.detail["secrets_replaced"] == ["edge"]


def test_the_form_with_the_same_password_typed_again_gives_a_new_hash(
    app: Flask, as_role: Any
) -> None:
    before = with_password(app)
    client = as_role("operator")
    page = client.get("/model/vip_pairs/edge").get_data(as_text=True)
    assert RIGHT not in page and f'value="{SECRET_MASK}"' in page

    response = post_form(client, "/model/vip_pairs/edge", edge_form(app, RIGHT))

    assert response.status_code == 302
    with app.extensions["lbctl.sessions"]() as session:
        after = store.current_revision(session, "example")
        assert after is not None and after.number == before.number + 1
        assert after.content == before.content and after.content_hash != before.content_hash


def edge_form(app: Flask, password: str) -> dict[str, str]:
    """Return the VIP pair form of `edge` as the page fills it in, with `password` typed."""
    with app.extensions["lbctl.sessions"]() as session:
        document = revisions.revision_document(store.current_revision(session, "example"))
    values = item_values(TOP_LEVEL["vip_pairs"].fields, document["vip_pairs"][0])
    return values | {"authentication.password": password}


# --- The mask means "keep" ------------------------------------------------------------


def test_saving_the_masked_model_keeps_the_password_and_the_hash(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    before = with_password(app)
    operator = bearer(tokens["operator"])
    body = {"base_revision": before.number, "model": masked_model(client, tokens["operator"])}

    answer = client.put("/api/v1/model", json=body, headers=operator).get_json()

    assert answer["revision"] == before.number + 1
    assert answer["hash"] == before.content_hash
    assert stored_password(app) == RIGHT


def test_the_form_with_the_mask_keeps_the_password_and_the_hash(app: Flask, as_role: Any) -> None:
    before = with_password(app)

    response = post_form(as_role("operator"), "/model/vip_pairs/edge", edge_form(app, SECRET_MASK))

    assert response.status_code == 302
    assert stored_password(app) == RIGHT
    with app.extensions["lbctl.sessions"]() as session:
        after = store.current_revision(session, "example")
        assert after is not None and after.content_hash == before.content_hash


# --- Nothing shows the password ---------------------------------------------------------

API_PAGES = (
    "/api/v1/model",
    "/api/v1/model.yaml",
    "/api/v1/revisions",
    "/api/v1/revisions/2",
    "/api/v1/revisions/3",
    "/api/v1/diff",
)
UI_PAGES = (
    "/preview",
    "/history",
    "/history/diff?a=1&b=2",
    "/history/diff?a=2&b=3",
    "/history/2/model.yaml",
    "/model/vip_pairs/",
    "/model/vip_pairs/edge",
    "/audit",
    "/deployments",
    "/admin",
)


def test_no_answer_page_or_audit_entry_shows_the_password(
    app: Flask, client: FlaskClient, tokens: dict[str, str], as_role: Any
) -> None:
    stored = with_password(app)
    record_deployed(app, 1)  # the diffs to deployed then hold the password's lines
    operator = bearer(tokens["operator"])
    model = masked_model(client, tokens["operator"])
    model["pools"][0]["servers"][0]["port"] = 8081
    client.put("/api/v1/model", json={"base_revision": 2, "model": model}, headers=operator)
    unsalted = hashlib.sha256(stored.content.encode()).hexdigest()[:12]

    answers = {path: client.get(path, headers=operator) for path in API_PAGES}
    for path in ("/api/v1/render", "/api/v1/plan", "/api/v1/validate"):
        body = {} if path == "/api/v1/render" else {"model": model}
        answers[path] = client.post(path, json=body, headers=operator)
    admin = as_role("admin")
    answers |= {path: admin.get(path) for path in UI_PAGES}

    for path, response in answers.items():
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert RIGHT not in text and unsalted not in text, path
    with app.extensions["lbctl.sessions"]() as session:
        entries = store.list_audit_entries(session, limit=100)
    assert entries and all(RIGHT not in json.dumps(e.detail) for e in entries)
