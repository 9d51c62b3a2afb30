"""/api/v1/files: upload, list, read and remove stored files; metadata only, admin to change."""

from __future__ import annotations

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from tests.tls_material import make_ca, make_leaf

from .conftest import bearer
from .test_api_openapi import answer_schema

MAP = "example.com app\n"


@pytest.fixture(autouse=True)
def files_key(monkeypatch):
    monkeypatch.setenv(FILES_KEY_ENV, new_key())


@pytest.fixture(scope="module")
def ca():
    return make_ca()


@pytest.fixture(scope="module")
def site(ca):
    return make_leaf(ca, "www.example.com")


def put(client, token, kind, name, content):
    return client.put(
        f"/api/v1/files/{kind}/{name}", json={"content": content}, headers=bearer(token)
    )


def no_pem(answer) -> None:
    body = answer.get_data(as_text=True)
    assert "BEGIN" not in body and "PRIVATE" not in body


def test_an_admin_uploads_a_certificate_and_gets_its_metadata_only(
    client: FlaskClient, tokens, site
):
    answer = put(client, tokens["admin"], "certificate", "site", site.bundle())
    assert answer.status_code == 201, answer.get_json()
    no_pem(answer)
    found = answer.get_json()
    assert found["file"]["sans"] == ["www.example.com"]
    assert found["file"]["serial"] == format(site.cert.serial_number, "X").zfill(
        len(found["file"]["serial"])
    )
    assert found["changed"] and found["revision"] is None  # the example model names no file
    again = put(client, tokens["admin"], "certificate", "site", site.bundle())
    assert again.status_code == 200 and not again.get_json()["changed"]


def test_listing_and_reading_show_metadata_with_days_left(client: FlaskClient, tokens, site):
    put(client, tokens["admin"], "certificate", "site", site.bundle())
    put(client, tokens["admin"], "map", "hosts", MAP)
    viewer = bearer(tokens["viewer"])
    listed = client.get("/api/v1/files", headers=viewer)
    no_pem(listed)
    names = [(f["kind"], f["name"]) for f in listed.get_json()["files"]]
    assert names == [("certificate", "site"), ("map", "hosts")]
    only = client.get("/api/v1/files?kind=certificate", headers=viewer).get_json()["files"]
    assert [f["name"] for f in only] == ["site"] and 363 <= only[0]["days_left"] <= 365
    one = client.get("/api/v1/files/map/hosts", headers=viewer)
    assert one.get_json()["size"] == len(MAP) and MAP not in one.get_data(as_text=True)


def test_only_an_admin_changes_files(client: FlaskClient, tokens, site):
    refused = put(client, tokens["operator"], "certificate", "site", site.bundle())
    assert refused.status_code == 403
    gone = client.delete("/api/v1/files/certificate/site", headers=bearer(tokens["operator"]))
    assert gone.status_code == 403


def test_a_refused_upload_names_the_problem_and_stores_nothing(
    app: Flask, client: FlaskClient, tokens, ca, site
):
    expired = make_leaf(ca, "old.example.com", days=-1)
    answer = put(client, tokens["admin"], "certificate", "old", expired.bundle())
    assert answer.status_code == 422
    found = answer.get_json()
    assert "expired on" in found["error"] and found["details"][0]["path"] == "content"
    no_pem(answer)
    bad_name = put(client, tokens["admin"], "certificate", "a b", site.bundle())
    assert bad_name.status_code == 400
    with app.extensions["lbctl.sessions"]() as session:
        assert session.execute(text("SELECT COUNT(*) FROM stored_files")).scalar() == 0


def test_without_the_files_key_the_answer_says_how_to_set_it(
    client: FlaskClient, tokens, site, monkeypatch
):
    monkeypatch.delenv(FILES_KEY_ENV)
    answer = put(client, tokens["admin"], "certificate", "site", site.bundle())
    assert answer.status_code == 503
    assert "LBCTL_FILES_KEY is not set" in answer.get_json()["error"]


def test_a_removed_file_is_gone_from_the_list(client: FlaskClient, tokens):
    put(client, tokens["admin"], "map", "hosts", MAP)
    admin = bearer(tokens["admin"])
    removed = client.delete("/api/v1/files/map/hosts", headers=admin)
    assert removed.status_code == 200 and removed.get_json()["removed"]["name"] == "hosts"
    assert client.get("/api/v1/files", headers=admin).get_json()["files"] == []
    assert client.delete("/api/v1/files/map/hosts", headers=admin).status_code == 404
    assert client.get("/api/v1/files/bogus/x", headers=admin).status_code == 400


def test_the_answers_match_the_openapi_document(client: FlaskClient, tokens, site):
    document = client.get("/api/v1/openapi.json").get_json()
    admin = bearer(tokens["admin"])
    calls = [
        (
            "/api/v1/files/{kind}/{name}",
            "PUT",
            put(client, tokens["admin"], "certificate", "site", site.bundle()),
        ),
        ("/api/v1/files/{kind}/{name}", "PUT", put(client, tokens["admin"], "map", "m", "\x00")),
        ("/api/v1/files", "GET", client.get("/api/v1/files", headers=admin)),
        (
            "/api/v1/files/{kind}/{name}",
            "GET",
            client.get("/api/v1/files/certificate/site", headers=admin),
        ),
        (
            "/api/v1/files/{kind}/{name}",
            "DELETE",
            client.delete("/api/v1/files/certificate/site", headers=admin),
        ),
    ]
    for path, method, answer in calls:
        schema = answer_schema(document, path, method, answer.status_code)
        jsonschema.Draft202012Validator(schema).validate(answer.get_json())


def test_no_answer_about_a_model_using_a_stored_certificate_holds_its_text(
    client: FlaskClient, tokens, site
):
    admin, operator = bearer(tokens["admin"]), bearer(tokens["operator"])
    put(client, tokens["admin"], "certificate", "site", site.bundle())
    current = client.get("/api/v1/model", headers=admin).get_json()
    model = current["model"]
    model["certificates"] = [{"name": "site"}]
    for frontend in model["frontends"]:
        if frontend["name"] == "web-tls":
            frontend["tls"] = {"certificates": ["site"]}
    saved = client.put(
        "/api/v1/model",
        json={"base_revision": current["revision"], "message": "tls", "model": model},
        headers=operator,
    )
    assert saved.status_code == 200, saved.get_json()
    number = saved.get_json()["revision"]
    answers = [
        client.get("/api/v1/model", headers=admin),
        client.get("/api/v1/model.yaml", headers=admin),
        client.get(f"/api/v1/revisions/{number}", headers=admin),
        client.post("/api/v1/render", headers=admin),
        client.post("/api/v1/plan", json={"model": model}, headers=admin),
        client.get("/api/v1/diff", headers=admin),
        client.get("/api/v1/files", headers=admin),
    ]
    for answer in answers:
        assert answer.status_code == 200, (answer.request.path, answer.get_data(as_text=True))
        no_pem(answer)
    rendered = answers[3].get_json()["hosts"]
    assert any("certs/site.pem" in text for files in rendered.values() for text in files.values())
