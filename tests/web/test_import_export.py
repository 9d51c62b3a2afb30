"""The model in and out in the CLI's YAML format: exports mask secrets, imports round-trip."""

from __future__ import annotations

import yaml
from flask import Flask

from controlplane import store
from controlplane.model import validate_data
from controlplane.usecases import revisions

from .conftest import bearer
from .ui_support import newest, post_form

PASSWORD = "Pw-42"


def with_vrrp_password(app: Flask) -> int:
    """Save a revision whose VIP pair has a VRRP password; return its number."""
    actor = store.Actor("admin", "admin")

    def authenticate(document: dict) -> None:
        document["vip_pairs"][0]["advert_interval"] = "1s"
        document["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": PASSWORD}

    with app.extensions["lbctl.sessions"].begin() as session:
        head = store.current_revision(session, "example")
        return revisions.edit_document(
            session, "example", authenticate, actor, "auth", head.number
        ).number


def test_api_exports_yaml_that_validates_with_secrets_masked(app, client, tokens) -> None:
    with_vrrp_password(app)
    response = client.get("/api/v1/model.yaml", headers=bearer(tokens["viewer"]))
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    text = response.get_data(as_text=True)
    assert PASSWORD not in text and "password: '********'" in text
    document = yaml.safe_load(text)
    document["vip_pairs"][0]["authentication"]["password"] = "x"  # any real value
    assert validate_data(document).model.vip_pairs[0].name == "edge"


def test_api_export_needs_a_token(client) -> None:
    assert client.get("/api/v1/model.yaml").status_code == 401


def test_exported_yaml_imports_back_unchanged_with_its_secret(app, as_role) -> None:
    number = with_vrrp_password(app)
    client = as_role("operator")
    exported = client.get(f"/history/{number}/model.yaml")
    assert "attachment" in exported.headers["Content-Disposition"]
    before = newest(app)

    response = post_form(
        client,
        "/import",
        {"yaml": exported.get_data(as_text=True), "message": "round trip"},
        page="/history",
    )

    assert response.status_code == 302
    after = newest(app)
    assert after.number == before.number + 1
    assert after.content_hash == before.content_hash  # same model, secret included
    assert store.revision_model(after).vip_pairs[0].authentication.password == PASSWORD


def test_an_invalid_import_names_the_field_and_saves_nothing(app, as_role) -> None:
    client = as_role("operator")
    before = newest(app).number
    bad = client.get(f"/history/{before}/model.yaml").get_data(as_text=True)
    bad = bad.replace("port: 8080", "port: 70000", 1)
    response = post_form(client, "/import", {"yaml": bad}, page="/history")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not imported" in page and "port: must be 1-65535, got 70000" in page
    assert newest(app).number == before


def test_viewers_cannot_import(app, as_role) -> None:
    client = as_role("viewer")
    assert post_form(client, "/import", {"yaml": "{}"}, page="/history").status_code == 403
