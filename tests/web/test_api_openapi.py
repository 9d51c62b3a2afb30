"""The OpenAPI document says what the API really does: same routes, same answers."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import bearer

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200
    return response.get_json()


def answer_schema(document: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    """Return a JSON Schema for one documented answer, its $refs resolvable."""
    response = document["paths"][path][method.lower()]["responses"][str(status)]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
        **response["content"]["application/json"]["schema"],
    }


def check(document: dict[str, Any], path: str, method: str, response: Any) -> None:
    schema = answer_schema(document, path, method, response.status_code)
    jsonschema.Draft202012Validator(schema).validate(response.get_json())


def test_every_route_is_documented_and_every_documented_route_exists(
    app: Flask, document: dict[str, Any]
) -> None:
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods - IGNORED_METHODS
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented


def test_the_document_is_openapi_31_with_a_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_authenticated_operations_document_401_and_403(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if operation.get("security") == []:
                continue
            assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"


def test_real_answers_match_their_schemas(
    client: FlaskClient, tokens: dict[str, str], document: dict[str, Any]
) -> None:
    viewer, operator = bearer(tokens["viewer"]), bearer(tokens["operator"])
    got = client.get("/api/v1/model", headers=viewer)
    check(document, "/api/v1/model", "GET", got)
    model = got.get_json()["model"]
    model["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": "s3cret"}

    calls = [
        ("/api/v1/model", "PUT", {"base_revision": 1, "model": model}, operator),
        ("/api/v1/model", "GET", None, viewer),  # now with a masked password
        ("/api/v1/model", "PUT", {"base_revision": 1, "model": model}, operator),  # 409
        ("/api/v1/model", "PUT", {"base_revision": 2, "model": {"pools": 1}}, operator),  # 422
        ("/api/v1/model", "PUT", {"base_revision": 2, "model": model}, viewer),  # 403
        ("/api/v1/validate", "POST", {"model": model}, viewer),
        ("/api/v1/render", "POST", None, viewer),
        ("/api/v1/diff", "GET", None, viewer),
        ("/api/v1/plan", "POST", {"model": model}, viewer),
        ("/api/v1/plan", "POST", {"revision": 2}, viewer),
        ("/api/v1/plan", "POST", {"revision": 9}, viewer),  # 404
        ("/api/v1/revisions", "GET", None, viewer),
    ]
    for path, method, body, headers in calls:
        check(document, path, method, client.open(path, method=method, json=body, headers=headers))
    for path, template in (
        ("/api/v1/revisions/2", "/api/v1/revisions/{number}"),
        ("/api/v1/revisions/9", "/api/v1/revisions/{number}"),  # 404
        ("/api/v1/deployments/9", "/api/v1/deployments/{deployment_id}"),  # 404
    ):
        check(document, template, "GET", client.get(path, headers=viewer))
    check(document, "/api/v1/model", "GET", client.get("/api/v1/model"))  # 401


def test_deployment_and_status_answers_match_their_schemas(
    app: Flask,
    client: FlaskClient,
    tokens: dict[str, str],
    document: dict[str, Any],
    refusing_inventory: Any,
) -> None:
    from controlplane.usecases.deployments import wait_for_deployment

    started = client.post("/api/v1/deployments", headers=bearer(tokens["operator"]))
    check(document, "/api/v1/deployments", "POST", started)
    wait_for_deployment(app.extensions["lbctl.sessions"], started.get_json()["id"], 60)
    found = client.get(started.get_json()["url"], headers=bearer(tokens["viewer"]))
    check(document, "/api/v1/deployments/{deployment_id}", "GET", found)
    check(
        document,
        "/api/v1/status",
        "GET",
        client.get("/api/v1/status", headers=bearer(tokens["viewer"])),
    )
