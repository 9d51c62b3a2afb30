"""VRRP reports name hosts and instances the model has, or are refused with 422."""

from __future__ import annotations

import dataclasses

from flask import Flask
from flask.testing import FlaskClient

from ..web.conftest import bearer


def report(client: FlaskClient, token: str, host: str, instance: str) -> tuple[int, dict]:
    body = {"host": host, "instance": instance, "state": "MASTER", "priority": 150}
    response = client.post("/api/v1/events/vrrp", json=body, headers=bearer(token))
    return response.status_code, response.get_json()


def test_a_vrrp_report_from_a_host_outside_the_model_is_422_naming_the_field(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    status, answer = report(client, tokens["operator"], "lb9", "edge")
    assert status == 422
    assert answer["error"].startswith("host: 'lb9' is not an lb_host of the current model")
    assert [d["path"] for d in answer["details"]] == ["host"]


def test_a_vrrp_report_of_an_instance_the_host_does_not_run_is_422(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    status, answer = report(client, tokens["operator"], "lb1", "VI_9")
    assert status == 422
    assert answer["error"].startswith("instance: 'VI_9' is not a VRRP instance of lb1")
    assert [d["path"] for d in answer["details"]] == ["instance"]


def test_with_no_revision_stored_a_vrrp_report_is_still_recorded(
    app: Flask, tokens: dict[str, str]
) -> None:
    # Hosts deployed from the CLI may report to a control plane whose store is empty.
    app.config["LBCTL"] = dataclasses.replace(app.config["LBCTL"], environment="cli-only")
    response = app.test_client().post(
        "/api/v1/events/vrrp",
        json={"host": "lb9", "instance": "edge", "state": "MASTER", "priority": 250},
        headers=bearer(tokens["operator"]),
    )
    assert response.status_code == 202
