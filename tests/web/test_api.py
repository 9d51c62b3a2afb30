"""The REST API /api/v1: who may call what, the model round trip, errors as JSON, audit."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from controlplane import store
from controlplane.model.secrets import SECRET_MASK

from .conftest import bearer

PASSWORD_SECRET = "s3cret"  # a valid VRRP password (1-8 characters)


def model_of(client: FlaskClient, token: str) -> dict[str, Any]:
    response = client.get("/api/v1/model", headers=bearer(token))
    assert response.status_code == 200
    return response.get_json()


def with_server_port(model: dict[str, Any], port: Any) -> dict[str, Any]:
    changed = copy.deepcopy(model)
    changed["pools"][0]["servers"][0]["port"] = port
    return changed


def revision_numbers(app: Flask) -> list[int]:
    with app.extensions["lbctl.sessions"]() as session:
        return [r.number for r in store.list_revisions(session, "example")]


def audit_actions(app: Flask) -> list[tuple[str, str]]:
    with app.extensions["lbctl.sessions"]() as session:
        return [(e.actor, e.action) for e in store.list_audit_entries(session)]


@pytest.fixture
def revoked_token(app: Flask) -> str:
    with app.extensions["lbctl.sessions"].begin() as session:
        row, plaintext = store.create_token(
            session, store.get_user(session, "admin"), "old", "admin"
        )
        store.revoke_token(session, row.id)
    return plaintext


# --- Who may call what -------------------------------------------------------------

# (method, path, body, lowest role, status when allowed)
CALLS = [
    ("GET", "/api/v1/model", None, "viewer", 200),
    ("PUT", "/api/v1/model", "same-model", "operator", 200),
    ("POST", "/api/v1/validate", "model", "viewer", 200),
    ("POST", "/api/v1/render", None, "viewer", 200),
    ("GET", "/api/v1/diff", None, "viewer", 200),
    ("POST", "/api/v1/plan", "model", "viewer", 200),
    ("GET", "/api/v1/revisions", None, "viewer", 200),
    ("GET", "/api/v1/revisions/1", None, "viewer", 200),
    ("GET", "/api/v1/status", None, "viewer", 200),
    ("POST", "/api/v1/deployments", {"revision": 1}, "operator", 202),
]
RANKS = {"viewer": 0, "operator": 1, "admin": 2}


@pytest.mark.parametrize(("method", "path", "body", "needed", "ok"), CALLS)
@pytest.mark.parametrize("caller", ["anonymous", "revoked", "viewer", "operator", "admin"])
def test_every_endpoint_answers_each_role(
    app: Flask,
    client: FlaskClient,
    tokens: dict[str, str],
    revoked_token: str,
    refusing_inventory: Any,
    caller: str,
    method: str,
    path: str,
    body: Any,
    needed: str,
    ok: int,
) -> None:
    headers = {
        "anonymous": {},
        "revoked": bearer(revoked_token),
        **{role: bearer(token) for role, token in tokens.items()},
    }[caller]
    if body in ("model", "same-model"):
        model = model_of(client, tokens["admin"])["model"]
        body = {"model": model} if body == "model" else {"base_revision": 1, "model": model}
    response = client.open(path, method=method, json=body, headers=headers)
    if caller in ("anonymous", "revoked"):
        expected = 401
    elif RANKS[caller] < RANKS[needed]:
        expected = 403
    else:
        expected = ok
    assert response.status_code == expected, response.get_data(as_text=True)
    assert response.is_json
    if expected >= 400:
        assert set(response.get_json()) >= {"error", "details"}
    if expected == 202:
        from controlplane.usecases.deployments import wait_for_deployment

        wait_for_deployment(app.extensions["lbctl.sessions"], response.get_json()["id"], 60)


def test_a_disabled_users_token_is_refused(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    with app.extensions["lbctl.sessions"].begin() as session:
        store.disable_user(session, "operator")
    response = client.get("/api/v1/model", headers=bearer(tokens["operator"]))
    assert response.status_code == 401


def test_a_malformed_authorization_header_is_401(client: FlaskClient) -> None:
    for header in ("Basic abc", "Bearer", "Bearer lbctl_nothing", "token"):
        response = client.get("/api/v1/model", headers={"Authorization": header})
        assert response.status_code == 401
        assert "Bearer" in response.get_json()["error"]


def test_the_403_names_the_role_needed(client: FlaskClient, tokens: dict[str, str]) -> None:
    response = client.put("/api/v1/model", json={}, headers=bearer(tokens["viewer"]))
    assert response.status_code == 403
    assert "viewer" in response.get_json()["error"]
    assert "operator" in response.get_json()["error"]


# --- The model: read and save ------------------------------------------------------


def test_get_model_gives_environment_revision_and_model(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    answer = model_of(client, tokens["viewer"])
    assert answer["environment"] == "example"
    assert answer["revision"] == 1
    assert [h["name"] for h in answer["model"]["lb_hosts"]] == ["lb1", "lb2"]


def test_put_saves_a_new_revision_and_audits_it(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    model = with_server_port(model_of(client, tokens["operator"])["model"], 8081)
    response = client.put(
        "/api/v1/model",
        json={"base_revision": 1, "message": "app1 moves", "model": model},
        headers=bearer(tokens["operator"]),
    )
    assert response.status_code == 200
    assert response.get_json()["revision"] == 2
    assert model_of(client, tokens["viewer"])["model"]["pools"][0]["servers"][0]["port"] == 8081
    assert ("operator", "model.save") in audit_actions(app)
    with app.extensions["lbctl.sessions"]() as session:
        entry = store.list_audit_entries(session)[0]
        assert entry.detail["via"] == "api"
        assert entry.detail["message"] == "app1 moves"


def test_a_stale_base_revision_is_409_naming_the_newest(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    model = model_of(client, tokens["operator"])["model"]
    first = {"base_revision": 1, "model": with_server_port(model, 8081)}
    second = {"base_revision": 1, "model": with_server_port(model, 8082)}
    assert (
        client.put("/api/v1/model", json=first, headers=bearer(tokens["operator"])).status_code
        == 200
    )
    response = client.put("/api/v1/model", json=second, headers=bearer(tokens["operator"]))
    assert response.status_code == 409
    answer = response.get_json()
    assert answer["current_revision"] == 2
    assert "newest is revision 2" in answer["error"]
    assert answer["details"][0]["path"] == "base_revision"
    assert revision_numbers(app) == [2, 1]


def test_an_invalid_model_is_422_with_field_paths_and_nothing_written(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    model = with_server_port(model_of(client, tokens["operator"])["model"], 99999)
    response = client.put(
        "/api/v1/model", json={"base_revision": 1, "model": model}, headers=bearer(tokens["admin"])
    )
    assert response.status_code == 422
    details = response.get_json()["details"]
    assert {"path": "pools[app].servers[app1].port", "message": "must be 1-65535, got 99999"} in (
        details
    )
    assert revision_numbers(app) == [1]
    assert ("admin", "model.save") not in audit_actions(app)


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b"not json", b'"text"', b""],
    ids=["array", "not-json", "string", "empty"],
)
def test_put_with_a_body_that_is_not_a_json_object_is_400(
    app: Flask, client: FlaskClient, tokens: dict[str, str], body: bytes
) -> None:
    response = client.put(
        "/api/v1/model",
        data=body,
        content_type="application/json",
        headers=bearer(tokens["operator"]),
    )
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("the body must be a JSON object")
    assert revision_numbers(app) == [1]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"base_revision": 1, "model": []}, "model"),
        ({"base_revision": 1}, "model"),
        ({"base_revision": "1", "model": {}}, "base_revision"),
        ({"base_revision": 1, "model": {}, "message": 3}, "message"),
    ],
)
def test_put_with_wrongly_typed_fields_is_400_naming_the_field(
    client: FlaskClient, tokens: dict[str, str], body: dict[str, Any], path: str
) -> None:
    response = client.put("/api/v1/model", json=body, headers=bearer(tokens["operator"]))
    assert response.status_code == 400
    assert response.get_json()["details"][0]["path"] == path


def test_secrets_are_masked_out_and_restored_in(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    operator = bearer(tokens["operator"])
    model = model_of(client, tokens["operator"])["model"]
    model["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": PASSWORD_SECRET}
    saved = client.put("/api/v1/model", json={"base_revision": 1, "model": model}, headers=operator)
    assert saved.status_code == 200

    masked = model_of(client, tokens["viewer"])["model"]
    assert masked["vip_pairs"][0]["authentication"]["password"] == SECRET_MASK
    assert PASSWORD_SECRET not in client.get("/api/v1/revisions/2", headers=operator).get_data(
        as_text=True
    )
    response = client.put(
        "/api/v1/model", json={"base_revision": 2, "model": masked}, headers=operator
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.extensions["lbctl.sessions"]() as session:
        saved = store.revision_model(store.get_revision(session, "example", 3))
    assert saved.vip_pairs[0].authentication.password == PASSWORD_SECRET


# --- Validate, render, diff, plan --------------------------------------------------


def test_validate_answers_valid_with_warnings(client: FlaskClient, tokens: dict[str, str]) -> None:
    model = model_of(client, tokens["viewer"])["model"]
    response = client.post(
        "/api/v1/validate", json={"model": model}, headers=bearer(tokens["viewer"])
    )
    assert response.status_code == 200
    assert response.get_json() | {"warnings": []} == {"valid": True, "errors": [], "warnings": []}


def test_validate_lists_every_error_with_its_path(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    model = with_server_port(model_of(client, tokens["viewer"])["model"], 0)
    model["lb_hosts"][0]["address"] = "not-an-address"
    response = client.post(
        "/api/v1/validate", json={"model": model}, headers=bearer(tokens["viewer"])
    )
    answer = response.get_json()
    assert response.status_code == 200
    assert answer["valid"] is False
    paths = {e["path"] for e in answer["errors"]}
    assert {"pools[app].servers[app1].port", "lb_hosts[lb1].address"} <= paths


def test_render_without_a_body_renders_the_current_revision(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    response = client.post("/api/v1/render", headers=bearer(tokens["viewer"]))
    answer = response.get_json()
    assert response.status_code == 200
    assert answer["revision"] == 1
    assert set(answer["hosts"]) == {"lb1", "lb2"}
    assert "frontend web" in answer["hosts"]["lb1"]["haproxy.cfg"]
    assert "vrrp_instance" in answer["hosts"]["lb2"]["keepalived.conf"]


def test_render_masks_vrrp_passwords(client: FlaskClient, tokens: dict[str, str]) -> None:
    model = model_of(client, tokens["viewer"])["model"]
    model["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": PASSWORD_SECRET}
    response = client.post(
        "/api/v1/render", json={"model": model}, headers=bearer(tokens["viewer"])
    )
    assert response.status_code == 200
    text = response.get_json()["hosts"]["lb1"]["keepalived.conf"]
    assert PASSWORD_SECRET not in text
    assert "auth_pass ********" in text


def test_render_of_an_invalid_model_is_422(client: FlaskClient, tokens: dict[str, str]) -> None:
    model = with_server_port(model_of(client, tokens["viewer"])["model"], 99999)
    response = client.post(
        "/api/v1/render", json={"model": model}, headers=bearer(tokens["viewer"])
    )
    assert response.status_code == 422
    assert response.get_json()["details"][0]["path"] == "pools[app].servers[app1].port"


def test_render_names_the_host_file_and_tool_a_binary_refused(
    client: FlaskClient, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from controlplane.errors import CheckFailed

    def refuse(rendered: Any, progress: Any = None) -> Any:
        raise CheckFailed("lb1", "haproxy.cfg", "haproxy -c", "[ALERT] parsing line 3")

    from controlplane.usecases import files

    monkeypatch.setattr(files, "check_rendered", refuse)
    response = client.post("/api/v1/render", headers=bearer(tokens["viewer"]))
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "lb1/haproxy.cfg was rejected by haproxy -c"
    assert answer["details"] == [{"path": "lb1/haproxy.cfg", "message": "[ALERT] parsing line 3"}]


def test_diff_with_nothing_deployed_shows_every_file_added(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    answer = client.get("/api/v1/diff", headers=bearer(tokens["viewer"])).get_json()
    assert answer["revision"] == 1
    assert answer["deployed_revision"] is None
    assert answer["changed"] is True
    assert {(f["host"], f["file"], f["status"]) for f in answer["files"]} == {
        ("lb1", "haproxy.cfg", "added"),
        ("lb1", "keepalived.conf", "added"),
        ("lb2", "haproxy.cfg", "added"),
        ("lb2", "keepalived.conf", "added"),
    }


def test_diff_against_the_deployed_revision_masks_secrets(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    operator = bearer(tokens["operator"])
    with app.extensions["lbctl.sessions"].begin() as session:
        deployment = store.create_deployment(
            session, store.get_revision(session, "example", 1), "t"
        )
        store.start_deployment(session, deployment.id)
        store.finish_deployment(session, deployment.id, "succeeded", [])
    model = model_of(client, tokens["operator"])["model"]
    model["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": PASSWORD_SECRET}
    client.put("/api/v1/model", json={"base_revision": 1, "model": model}, headers=operator)

    response = client.get("/api/v1/diff", headers=operator)
    answer = response.get_json()
    assert answer["deployed_revision"] == 1 and answer["revision"] == 2
    changed = {(f["host"], f["file"]) for f in answer["files"] if f["status"] == "changed"}
    assert ("lb1", "keepalived.conf") in changed
    assert PASSWORD_SECRET not in response.get_data(as_text=True)
    assert any("auth_pass ********" in line for f in answer["files"] for line in f["lines"])


def test_plan_of_the_current_model_changes_nothing(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    model = model_of(client, tokens["viewer"])["model"]
    response = client.post("/api/v1/plan", json={"model": model}, headers=bearer(tokens["viewer"]))
    answer = response.get_json()
    assert response.status_code == 200
    assert answer["revision"] == 1
    assert answer["against_current"]["changed"] is False
    assert answer["against_deployed"]["changed"] is True  # nothing deployed yet


def test_plan_shows_the_changed_lines(client: FlaskClient, tokens: dict[str, str]) -> None:
    model = with_server_port(model_of(client, tokens["viewer"])["model"], 8081)
    answer = client.post(
        "/api/v1/plan", json={"model": model}, headers=bearer(tokens["viewer"])
    ).get_json()
    lines = [line for f in answer["against_current"]["files"] for line in f["lines"]]
    assert "+    server app1 198.18.0.20:8081 check weight 100" in lines


def test_plan_of_a_saved_revision_by_its_number(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    model = with_server_port(model_of(client, tokens["viewer"])["model"], 8081)
    saved = client.put(
        "/api/v1/model",
        json={"base_revision": 1, "model": model},
        headers=bearer(tokens["operator"]),
    )
    assert saved.status_code == 200
    older = client.post(
        "/api/v1/plan", json={"revision": 1}, headers=bearer(tokens["viewer"])
    ).get_json()
    assert (older["planned_revision"], older["revision"]) == (1, 2)
    lines = [line for f in older["against_current"]["files"] for line in f["lines"]]
    assert "+    server app1 198.18.0.20:8080 check weight 100" in lines  # revision 1 is "+"
    newest = client.post(
        "/api/v1/plan", json={"revision": 2}, headers=bearer(tokens["viewer"])
    ).get_json()
    assert newest["against_current"]["changed"] is False
    assert newest["against_deployed"]["changed"] is True  # nothing deployed yet


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"revision": 9}, 404),
        ({"revision": 0}, 400),
        ({"revision": "1"}, 400),
        ({"revision": None}, 400),
        ({"revision": 1, "model": {}}, 400),
    ],
)
def test_plan_of_a_revision_that_is_not_one(
    client: FlaskClient, tokens: dict[str, str], body: dict[str, Any], status: int
) -> None:
    response = client.post("/api/v1/plan", json=body, headers=bearer(tokens["viewer"]))
    assert response.status_code == status
    assert response.get_json()["error"]


def test_plan_of_an_invalid_model_is_422(client: FlaskClient, tokens: dict[str, str]) -> None:
    model = with_server_port(model_of(client, tokens["viewer"])["model"], "http")
    response = client.post("/api/v1/plan", json={"model": model}, headers=bearer(tokens["viewer"]))
    assert response.status_code == 422
    assert response.get_json()["details"][0]["path"] == "pools[app].servers[app1].port"


# --- Revisions ---------------------------------------------------------------------


def test_revisions_are_listed_newest_first_in_pages(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    operator = bearer(tokens["operator"])
    model = model_of(client, tokens["operator"])["model"]
    for base, port in ((1, 8081), (2, 8082)):
        body = {
            "base_revision": base,
            "message": f"port {port}",
            "model": with_server_port(model, port),
        }
        assert client.put("/api/v1/model", json=body, headers=operator).status_code == 200
    page = client.get("/api/v1/revisions?limit=2", headers=operator).get_json()
    assert [r["number"] for r in page["revisions"]] == [3, 2]
    assert page["revisions"][0] | {"created_at": "", "hash": ""} == {
        "number": 3,
        "environment": "example",
        "author": "operator",
        "message": "port 8082",
        "created_at": "",
        "hash": "",
        "parent": 2,
    }
    rest = client.get("/api/v1/revisions?limit=2&offset=2", headers=operator).get_json()
    assert [r["number"] for r in rest["revisions"]] == [1]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "offset=-1"])
def test_bad_paging_is_400(client: FlaskClient, tokens: dict[str, str], query: str) -> None:
    response = client.get(f"/api/v1/revisions?{query}", headers=bearer(tokens["viewer"]))
    assert response.status_code == 400


def test_one_revision_has_its_model_author_and_hash(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    answer = client.get("/api/v1/revisions/1", headers=bearer(tokens["viewer"])).get_json()
    assert answer["number"] == 1 and answer["author"] == "seed" and answer["parent"] is None
    assert len(answer["hash"]) == 64
    assert answer["model"] == model_of(client, tokens["viewer"])["model"]


def test_an_unknown_revision_is_404_json(client: FlaskClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/v1/revisions/99", headers=bearer(tokens["viewer"]))
    assert response.status_code == 404
    assert response.get_json() == {"error": "no revision 'example/99'", "details": []}


def test_unknown_api_paths_and_methods_answer_json(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    missing = client.get("/api/v1/nothing", headers=bearer(tokens["viewer"]))
    assert missing.status_code == 404 and missing.is_json
    wrong = client.delete("/api/v1/model", headers=bearer(tokens["admin"]))
    assert wrong.status_code == 405 and wrong.is_json
