"""GET /metrics (Prometheus text), its optional token, and alerts from deploys and VRRP events."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from controlplane import store
from controlplane.observe.alerts import raise_alert, resolve_alert
from controlplane.observe.poller import StatusPoller
from controlplane.usecases.deployments import wait_for_deployment
from controlplane.web.config import WebSettings

from .conftest import bearer
from .ui_support import use_fake_status


def scrape(client: FlaskClient, headers: dict[str, str] | None = None) -> dict[tuple, float]:
    """Return {(sample name, sorted labels...): value} from GET /metrics."""
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    return {
        (sample.name, *sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def wait_for(condition: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.02)
    return bool(condition())


def finished_deployments(app: Flask, states: list[str]) -> None:
    sessions = app.extensions["lbctl.sessions"]
    for state in states:
        with sessions.begin() as session:
            revision = store.current_revision(session, "example")
            deployment = store.create_deployment(session, revision, "operator")
            store.start_deployment(session, deployment.id)
            store.finish_deployment(session, deployment.id, state, [])


def test_deploys_are_counted_by_result_from_the_store(app: Flask, client: FlaskClient) -> None:
    finished_deployments(app, ["succeeded", "failed", "succeeded"])
    found = scrape(client)
    env = ("environment", "example")
    assert found[("lbctl_deployments_total", env, ("result", "succeeded"))] == 2
    assert found[("lbctl_deployments_total", env, ("result", "failed"))] == 1
    assert found[("lbctl_deployments_total", env, ("result", "interrupted"))] == 0
    assert found[("lbctl_deploy_duration_seconds_count", env)] == 3
    assert found[("lbctl_last_deploy_succeeded", env)] == 1
    assert found[("lbctl_deployments_in_progress", env)] == 0


def test_host_vrrp_and_server_gauges_come_from_the_last_status(
    app: Flask, client: FlaskClient
) -> None:
    assert ("lbctl_host_reachable", ("host", "lb1")) not in scrape(client)  # nothing collected
    use_fake_status(app, lb2_reachable=False)
    app.extensions["lbctl.status_cache"].get(app.config["LBCTL"].inventory)
    found = scrape(client)
    assert found[("lbctl_host_reachable", ("host", "lb1"))] == 1
    assert found[("lbctl_host_reachable", ("host", "lb2"))] == 0
    master = ("lbctl_vrrp_state", ("host", "lb1"), ("instance", "edge"))
    assert found[(*master, ("state", "MASTER"))] == 1
    assert found[(*master, ("state", "BACKUP"))] == 0
    server = ("lbctl_backend_server_up", ("host", "lb1"), ("pool", "app"), ("server", "app1"))
    assert found[server] == 1
    assert found[("lbctl_findings", ("severity", "critical"))] >= 1  # lb2 unreachable


def test_renders_are_timed(app: Flask, client: FlaskClient, tokens: dict[str, str]) -> None:
    before = scrape(client)[("lbctl_render_duration_seconds_count",)]
    response = client.post("/api/v1/render", headers=bearer(tokens["viewer"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert scrape(client)[("lbctl_render_duration_seconds_count",)] == before + 1


def test_a_metrics_token_is_required_when_set(app: Flask, client: FlaskClient) -> None:
    settings = app.config["LBCTL"]
    app.config["LBCTL"] = dataclasses.replace(settings, metrics_token="scrape-secret")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer("wrong")).status_code == 401
    assert client.get("/metrics", headers=bearer("ünïcode")).status_code == 401
    assert scrape(client, bearer("scrape-secret"))


def test_metrics_without_a_token_set_answer_local_clients(client: FlaskClient) -> None:
    for address in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"):
        response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200, address


def test_a_failed_deploy_fires_an_alert_and_shows_in_the_metrics(
    app: Flask, client: FlaskClient, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    response = client.post("/api/v1/deployments", headers=bearer(tokens["operator"]))
    deployment_id = response.get_json()["id"]
    wait_for_deployment(app.extensions["lbctl.sessions"], deployment_id, 120)
    engine = app.extensions["lbctl.alerts"]
    assert wait_for(lambda: engine.firing(), 5)  # sent right after the state is final
    [alert] = engine.firing()
    assert (alert.kind, alert.subject, alert.severity) == ("deploy_failed", "example", "critical")
    # Why it failed follows (the hosts refuse SSH, or another test holds the deploy lock).
    assert alert.message.startswith(f"deployment {deployment_id} of revision 1 failed: ")
    found = scrape(client)
    assert found[("lbctl_deployments_total", ("environment", "example"), ("result", "failed"))] == 1
    kind = ("lbctl_alerts_firing", ("kind", "deploy_failed"), ("severity", "critical"))
    assert found[kind] == 1


def test_other_detectors_raise_and_resolve_alerts_by_name(app: Flask) -> None:
    assert not raise_alert("drift_found", "lb1", "changed by hand")  # no app context
    assert raise_alert("drift_found", "lb1", "haproxy.cfg changed by hand", app=app)
    with app.app_context():
        assert not raise_alert("drift_found", "lb1", "haproxy.cfg changed by hand")
        assert resolve_alert("drift_found", "lb1")
    assert app.extensions["lbctl.alerts"].firing() == []


def test_a_vrrp_event_is_recorded_and_alerted_at_once(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    def report(state: str, token: str = tokens["operator"]) -> tuple[int, dict]:
        body = {"host": "lb2", "instance": "edge", "state": state, "priority": 100}
        response = client.post("/api/v1/events/vrrp", json=body, headers=bearer(token))
        return response.status_code, response.get_json()

    assert report("BACKUP") == (202, {"recorded": True, "alerted": False})  # first sight
    assert report("MASTER") == (202, {"recorded": True, "alerted": True})
    assert report("MASTER") == (202, {"recorded": True, "alerted": False})
    assert report("MASTER", tokens["viewer"])[0] == 403
    assert report("HIGH")[0] == 400
    with app.extensions["lbctl.sessions"]() as session:
        entries = [e for e in store.list_audit_entries(session) if e.action == "vrrp.transition"]
    assert len(entries) == 3 and entries[0].actor == "operator"


def test_monitoring_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LBCTL_STATUS_INTERVAL", "5")
    monkeypatch.setenv("LBCTL_ALERT_WEBHOOKS", " http://a.example/h , ,http://b.example/h")
    monkeypatch.setenv("LBCTL_METRICS_TOKEN", "t0k3n")
    settings = WebSettings.from_environ(home=tmp_path)
    assert settings.status_interval_s == 5.0
    assert settings.alert_webhooks == ("http://a.example/h", "http://b.example/h")
    assert settings.metrics_token == "t0k3n"
    monkeypatch.setenv("LBCTL_STATUS_INTERVAL", "soon")
    with pytest.raises(ValueError, match="LBCTL_STATUS_INTERVAL"):
        WebSettings.from_environ(home=tmp_path)


def test_an_app_polls_only_when_asked(app: Flask) -> None:
    assert "lbctl.poller" not in app.extensions


def test_the_poller_feeds_the_cache_and_the_alerts(app: Flask) -> None:
    use_fake_status(app, lb2_reachable=False)
    engine = app.extensions["lbctl.alerts"]
    poller = StatusPoller(
        lambda: app.extensions["lbctl.status_cache"], app.config["LBCTL"].inventory, engine, 0.05
    )
    poller.start()
    try:
        assert wait_for(lambda: poller.rounds >= 2, 5)
    finally:
        poller.stop()
    assert [(a.kind, a.subject) for a in engine.firing()] == [("host_unreachable", "lb2")]
    assert app.extensions["lbctl.status_cache"].latest(app.config["LBCTL"].inventory)


def test_the_poller_checks_drift_every_few_rounds(app: Flask) -> None:
    use_fake_status(app)
    checks: list[int] = []
    poller = StatusPoller(
        lambda: app.extensions["lbctl.status_cache"],
        app.config["LBCTL"].inventory,
        app.extensions["lbctl.alerts"],
        0.0,
        drift_check=lambda: checks.append(poller.rounds),
    )
    for _ in range(9):
        poller.poll_once()
    assert checks == [0, 4, 8]  # rounds 1, 5 and 9: drift costs two more Ansible runs


def test_drift_found_fires_and_resolves_the_alert_and_pages_reuse_the_report(
    app: Flask, monkeypatch
) -> None:
    from controlplane.observe import drift_watch as drift_module
    from controlplane.usecases import revisions

    class Report:
        def __init__(self, drifted: bool) -> None:
            self.drifted = drifted
            self.differences = []

    checks: list[bool] = []

    def collect(drifted: bool):
        def fake(*_args, **_kwargs):
            checks.append(drifted)
            return Report(drifted)

        return fake

    watch = app.extensions["lbctl.drift"]
    engine = app.extensions["lbctl.alerts"]
    with app.extensions["lbctl.sessions"]() as session:
        revision = store.current_revision(session, app.config["LBCTL"].environment)
    monkeypatch.setattr(revisions, "deployed_revision", lambda session, env: revision)
    monkeypatch.setattr(drift_module, "collect_drift", collect(True))
    assert watch.check()[1].drifted
    assert [a.kind for a in engine.firing()] == ["drift_found"]
    assert watch.report()[1].drifted and checks == [True]  # fresh: no second Ansible run
    monkeypatch.setattr(drift_module, "collect_drift", collect(False))
    assert not watch.report(refresh=True)[1].drifted
    assert engine.firing() == [] and checks == [True, False]
