"""Fuzzing /api/v1 from its own OpenAPI document: never a 5xx, every answer as documented.

The document is read from the function /api/v1/openapi.json serves (the first test holds
them equal), not fetched from one app: so each operation gets a fresh app, and the run
avoids schemathesis' fixture-based loader, which does not work on pytest 9.2.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from werkzeug.exceptions import HTTPException

from controlplane import store
from controlplane.deploy import lock
from controlplane.web.openapi import openapi_document
from controlplane.web.request_limits import ExpensiveCallLimits

from .conftest import bearer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,  # a 405 names the methods the address takes
]
SEED = 2026  # for schemathesis' own random choices; Hypothesis is derandomized below
# The model document goes through one validator whichever route takes it, so its ~880
# boundary cases (schemathesis' coverage phase) run once, through /validate.
SAME_VALIDATOR = ["PUT /api/v1/model", "POST /api/v1/render", "POST /api/v1/plan"]
SERVER_CHANGE = "POST /api/v1/pools/{pool}/servers/{server}"
WITH_TOKEN = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": 25},
        # Pools and servers of the example model: most server changes then reach what
        # follows the lookup (validation, the revision check, the runtime API) and not a 404.
        "dictionaries": {
            "pools": {"values": ["app", "app-tcp"]},
            "servers": {"values": ["app1", "app2"]},
        },
        "operations": [
            {
                "include-name": SERVER_CHANGE,
                "parameters": {
                    "path.pool": {"dictionary": "pools", "probability": 0.8},
                    "path.server": {"dictionary": "servers", "probability": 0.8},
                },
            },
            {"include-name": SAME_VALIDATOR, "phases": {"coverage": {"enabled": False}}},
            # No input to vary, and every call runs Ansible against the hosts.
            {"include-name": "GET /api/v1/status", "generation": {"max-examples": 1}},
            # One field; each request taken starts a deploy (render, check, Ansible).
            {"include-name": "POST /api/v1/deployments", "generation": {"max-examples": 10}},
            # Each request taken runs Ansible against the hosts (~4 s while they refuse SSH).
            {
                "include-name": "POST /api/v1/import/hosts",
                "generation": {"max-examples": 3},
                "phases": {"coverage": {"enabled": False}},
            },
        ],
    }
)
# Without a token only the door is tried: a few requests each, no boundary cases.
WITHOUT_TOKEN = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": 5},
        "phases": {"coverage": {"enabled": False}},
    }
)
FUZZ = settings(
    deadline=None,
    derandomize=True,  # the same cases on every run, so a failure in CI reproduces
    database=None,
    suppress_health_check=list(HealthCheck),
)

with_token = schemathesis.openapi.from_dict(openapi_document(), config=WITH_TOKEN)
without_token = schemathesis.openapi.from_dict(openapi_document(), config=WITHOUT_TOKEN)


@pytest.fixture
def fuzzed_app(
    app: Flask, refusing_inventory: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Flask]:
    """The app with one finished deployment, its hosts refusing SSH at once.

    Deploys, server changes and status fail fast on this machine and touch nothing else;
    deploy threads have ended and SSH channels are closed before the store is.
    """
    monkeypatch.setattr(lock, "LOCK_DIR", tmp_path / "locks")  # not another session's lock
    # Thousands of calls from one token: lift the per-client budget so each operation runs
    # (tests/security/test_request_limits.py proves the budget).
    app.extensions["lbctl.request_limits"] = ExpensiveCallLimits(per_minute=1e9, burst=10**9)
    with app.extensions["lbctl.sessions"].begin() as session:
        deployment = store.create_deployment(
            session, store.get_revision(session, "example", 1), "admin"
        )
        store.start_deployment(session, deployment.id)
        store.append_event(session, deployment.id, "info", "lb1", "render", "rendered")
        store.finish_deployment(session, deployment.id, "failed", [])
    yield app
    for thread in threading.enumerate():
        if thread.name.startswith("lbctl-deploy-"):
            thread.join(timeout=120)
            assert not thread.is_alive(), f"{thread.name} still running"
    channels = app.extensions.get("lbctl.runtime_channels")
    if channels is not None:
        channels.close()


def test_the_fuzzed_document_is_the_one_the_app_serves(fuzzed_app: Flask) -> None:
    served = fuzzed_app.test_client().get("/api/v1/openapi.json").get_json()
    assert served == openapi_document()


@FUZZ
@with_token.parametrize()
def test_every_operation_with_an_admin_token(
    case: schemathesis.Case, fuzzed_app: Flask, tokens: dict[str, str]
) -> None:
    case.call_and_validate(app=fuzzed_app, headers=bearer(tokens["admin"]), checks=CHECKS)


@FUZZ
@without_token.parametrize()
def test_every_operation_without_a_token(case: schemathesis.Case, fuzzed_app: Flask) -> None:
    response = case.call_and_validate(app=fuzzed_app, checks=CHECKS)
    if case.operation.definition.raw.get("security") == [] or case.method == "OPTIONS":
        return  # the document itself, or Flask's own answer to OPTIONS (Allow, no data)
    try:
        path = unquote(urlsplit(response.request.url).path)
        fuzzed_app.url_map.bind("localhost").match(path, method=case.method)
    except HTTPException:
        return  # no route for this path or method: its 404 or 405 comes before any token
    assert response.status_code == 401


# Inputs the fuzzer does not make (Hypothesis leaves out lone surrogates and seldom writes
# "²", 5,000 digits or a name ending in a newline). Each was a 500, or for the newline
# a line break in the audit log, before it was a 400.
HOSTILE = {
    "superscript digit as a page size": ("GET", "/api/v1/revisions?limit=%C2%B2", None),
    "more digits than int() reads": ("GET", "/api/v1/revisions?offset=" + "9" * 5000, None),
    "superscript digit as a cursor": ("GET", "/api/v1/deployments/1?after=%C2%B2", None),
    "JSON nested past the parser": ("POST", "/api/v1/validate", "[" * 100_000),
    "JSON nested past copying": (
        "POST",
        "/api/v1/validate",
        '{"model": {"pools": ' + "[" * 500 + "]" * 500 + "}}",
    ),
    "half a character in a message": (
        "PUT",
        "/api/v1/model",
        '{"base_revision": 1, "model": {}, "message": "\\ud800"}',
    ),
    "newline after a host name": (
        "POST",
        "/api/v1/events/vrrp",
        '{"host": "lb1\\n", "instance": "VI_1", "state": "MASTER"}',
    ),
}


@pytest.mark.parametrize(("method", "url", "body"), HOSTILE.values(), ids=HOSTILE)
def test_hostile_input_the_fuzzer_does_not_make_is_a_400(
    fuzzed_app: Flask, tokens: dict[str, str], method: str, url: str, body: str | None
) -> None:
    headers = bearer(tokens["admin"]) | {"Content-Type": "application/json"}
    response = fuzzed_app.test_client().open(url, method=method, data=body, headers=headers)
    assert response.status_code == 400
    assert "JSON object" not in response.get_json()["error"]  # refused for its content
