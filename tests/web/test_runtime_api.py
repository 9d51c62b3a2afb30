"""POST /api/v1/pools/<pool>/servers/<server>: saved as a revision, applied without a reload."""

from __future__ import annotations

from pathlib import Path

import jsonschema
from flask import Flask
from flask.testing import FlaskClient

from controlplane import store

from .conftest import bearer

URL = "/api/v1/pools/app/servers/app2"


def test_a_viewer_may_not_change_a_server(client: FlaskClient, tokens: dict[str, str]) -> None:
    response = client.post(URL, json={"state": "drain"}, headers=bearer(tokens["viewer"]))
    assert response.status_code == 403


def test_an_unreachable_host_is_reported_per_host_and_the_revision_is_saved(
    app: Flask, client: FlaskClient, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    response = client.post(
        URL, json={"state": "drain", "weight": 20}, headers=bearer(tokens["operator"])
    )
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["applied"] is False
    assert [h["host"] for h in answer["hosts"]] == ["lb1", "lb2"]
    for host in answer["hosts"]:
        assert host["ok"] is False and "Connection refused" in host["error"]
        assert host["seconds"] < 10
    model = client.get("/api/v1/model", headers=bearer(tokens["viewer"])).get_json()
    assert model["revision"] == answer["revision"]
    app2 = next(s for s in model["model"]["pools"][0]["servers"] if s["name"] == "app2")
    assert (app2["state"], app2["weight"]) == ("drain", 20)
    with app.extensions["lbctl.sessions"].begin() as session:
        actions = [e.action for e in store.list_audit_entries(session)]
    assert "server.runtime" in actions


def test_unknown_pool_or_server_is_404(client: FlaskClient, tokens: dict[str, str]) -> None:
    headers = bearer(tokens["operator"])
    for url in ("/api/v1/pools/nope/servers/app2", "/api/v1/pools/app/servers/nope"):
        assert client.post(url, json={"state": "drain"}, headers=headers).status_code == 404


def test_bad_values_are_422_naming_the_field_and_nothing_is_saved(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    headers = bearer(tokens["operator"])
    before = client.get("/api/v1/model", headers=headers).get_json()["revision"]
    for body in ({"weight": 999}, {"state": "ready"}):
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == 422
        assert any("app2" in d["path"] for d in response.get_json()["details"])
    assert client.post(URL, json={}, headers=headers).status_code == 400
    assert client.get("/api/v1/model", headers=headers).get_json()["revision"] == before


def test_a_stale_base_revision_is_409(client: FlaskClient, tokens: dict[str, str]) -> None:
    response = client.post(
        URL, json={"state": "drain", "base_revision": 0}, headers=bearer(tokens["operator"])
    )
    assert response.status_code == 409


def test_answers_match_the_openapi_document(
    client: FlaskClient, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    path = "/api/v1/pools/{pool}/servers/{server}"
    response = client.post(URL, json={"weight": 10}, headers=bearer(tokens["operator"]))
    schema = document["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
    full = {"components": document["components"], **schema["schema"]}
    jsonschema.Draft202012Validator(full).validate(response.get_json())


def test_operators_see_the_server_buttons_on_the_pool_page_viewers_do_not(as_role) -> None:
    page = as_role("operator").get("/model/pools/app").get_data(as_text=True)
    assert "/model/pools/app/servers/app2/runtime" in page and 'value="drain"' in page
    viewer_page = as_role("viewer").get("/model/pools/app").get_data(as_text=True)
    assert "/runtime" not in viewer_page


def test_the_drain_button_flashes_each_hosts_result(
    as_role, refusing_inventory: Path, client: FlaskClient
) -> None:
    operator = as_role("operator")
    page = operator.get("/model/pools/app").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = operator.post(
        "/model/pools/app/servers/app2/runtime",
        data={"state": "drain", "csrf_token": token},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "lb1 FAILED" in text and "lb2 FAILED" in text and "Revision" in text
