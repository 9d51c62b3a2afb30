"""API calls that reach the hosts: deployments (started, followed, failed) and status."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from controlplane import store
from controlplane.usecases.deployments import wait_for_deployment

from .conftest import bearer


def deploy_and_wait(app: Flask, client: FlaskClient, token: str, body: dict | None = None) -> dict:
    response = client.post("/api/v1/deployments", json=body or {}, headers=bearer(token))
    assert response.status_code == 202, response.get_data(as_text=True)
    started = response.get_json()
    assert started["url"] == f"/api/v1/deployments/{started['id']}"
    assert response.headers["Location"] == started["url"]
    wait_for_deployment(app.extensions["lbctl.sessions"], started["id"], 120)
    return client.get(started["url"], headers=bearer(token)).get_json()


def test_a_deploy_to_unreachable_hosts_fails_with_per_host_results(
    app: Flask, client: FlaskClient, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    found = deploy_and_wait(app, client, tokens["operator"])
    assert found["state"] == "failed"
    assert found["revision"] == 1
    assert found["requested_by"] == "operator"
    assert found["started_at"] and found["finished_at"]
    assert {h["host"]: h["status"] for h in found["hosts"]} == {
        "lb1": "unreachable",
        "lb2": "unreachable",
    }
    kinds = [(e["host"], e["kind"]) for e in found["events"]]
    assert ("lb1", "unreachable") in kinds and ("lb2", "unreachable") in kinds
    assert [e["seq"] for e in found["events"]] == list(range(1, len(found["events"]) + 1))


def test_events_can_be_followed_after_a_sequence_number(
    app: Flask, client: FlaskClient, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    found = deploy_and_wait(app, client, tokens["operator"])
    last = found["events"][-1]["seq"]
    url = f"/api/v1/deployments/{found['id']}"
    later = client.get(f"{url}?after={last - 1}", headers=bearer(tokens["viewer"])).get_json()
    assert [e["seq"] for e in later["events"]] == [last]
    assert client.get(f"{url}?after=x", headers=bearer(tokens["viewer"])).status_code == 400


def test_a_deploy_start_is_audited_as_api(
    app: Flask, client: FlaskClient, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    found = deploy_and_wait(app, client, tokens["admin"], {"revision": 1})
    with app.extensions["lbctl.sessions"]() as session:
        entry = next(e for e in store.list_audit_entries(session) if e.action == "deploy.start")
    assert entry.actor == "admin"
    assert entry.detail == {"deployment": found["id"], "via": "api"}


def test_deploying_an_unknown_revision_is_404(
    client: FlaskClient, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    response = client.post(
        "/api/v1/deployments", json={"revision": 42}, headers=bearer(tokens["operator"])
    )
    assert response.status_code == 404
    assert response.is_json


def test_an_unknown_deployment_is_404_json(client: FlaskClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/v1/deployments/999", headers=bearer(tokens["viewer"]))
    assert response.status_code == 404
    assert response.get_json() == {"error": "no deployment '999'", "details": []}


def test_status_of_unreachable_hosts_is_200_with_critical_findings(
    client: FlaskClient, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    response = client.get("/api/v1/status", headers=bearer(tokens["viewer"]))
    assert response.status_code == 200
    answer = response.get_json()
    assert {h["host"]: h["reachable"] for h in answer["hosts"]} == {"lb1": False, "lb2": False}
    assert answer["critical"] == 2
    assert all(f["message"].startswith("unreachable") for f in answer["findings"])


@pytest.mark.slow
def test_a_deploy_to_the_example_inventory_fails_unreachable(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    # The example's hosts (198.18.0.0/15, a benchmark range) do not exist: SSH times out.
    found = deploy_and_wait(app, client, tokens["operator"])
    assert found["state"] == "failed"
    assert {h["status"] for h in found["hosts"]} == {"unreachable"}, found
    assert any(e["kind"] == "unreachable" for e in found["events"])
