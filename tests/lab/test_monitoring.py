"""Monitoring on real hosts: HAProxy's exporter, alerts on DOWN/UP and failover, notify hook."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from controlplane import store
from controlplane.lab import Lab
from controlplane.lab.topology import CONTROL_ADDRESS
from controlplane.web import create_app
from tests.observe.webhook_receiver import WebhookReceiver, webhook_receiver

from .deploying import VIP, deploy, fast_vrrp, lab_model, statuses, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

NOTIFY_ENV = "/etc/keepalived/lbctl-notify.env"
ALERT_WAIT_S = 60.0  # health checks (fall 3 x 2 s) plus a status poll over SSH


@dataclass
class ControlPlane:
    """The admin app serving on the lab's control address, polling the lab every second."""

    app: Flask
    server: BaseWSGIServer
    webhook: WebhookReceiver
    inventory: Path  # the lab inventory with the notify hook's host vars

    def alerts(self, kind: str, subject: str) -> list[str]:
        """Return the states ("firing", "resolved") webhooks received for one alert."""
        return [
            body["state"]
            for body in list(self.webhook.accepted)
            if body["kind"] == kind and body["subject"] == subject
        ]

    def vrrp_events(self) -> list[dict[str, Any]]:
        with self.app.extensions["lbctl.sessions"]() as session:
            entries = store.list_audit_entries(session, limit=500)
        return [e.detail for e in entries if e.action == "vrrp.transition"]


def _operator_token(app: Flask) -> str:
    with app.extensions["lbctl.sessions"].begin() as session:
        user = store.create_user(session, "lb-hosts", "a-long-test-password", "operator")
        return store.create_token(session, user, "vrrp-notify", "operator")[1]


def _notifying_inventory(lab: Lab, url: str, token: str, folder: Path) -> Path:
    """Return a copy of the lab inventory whose hosts report VRRP transitions to `url`."""
    data = yaml.safe_load(lab.inventory_path.read_text())
    group = data["all"]["children"]["lb"]
    group.setdefault("vars", {}).update({"lbctl_notify_url": url, "lbctl_notify_token": token})
    path = folder / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def control_plane(lab: Lab, tmp_path: Path) -> Iterator[ControlPlane]:
    with webhook_receiver("127.0.0.1") as webhook:
        app = create_app(
            home=tmp_path / "instance",
            environment="lab-test",
            inventory=lab.inventory_path,
            secure_cookies=False,
            admin_password=None,
            status_interval_s=1.0,
            alert_webhooks=(webhook.url,),
            background=True,
        )
        server = make_server(CONTROL_ADDRESS, 0, app, threaded=True)
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
        serving.start()
        url = f"http://{CONTROL_ADDRESS}:{server.server_port}"
        inventory = _notifying_inventory(lab, url, _operator_token(app), tmp_path)
        try:
            yield ControlPlane(app, server, webhook, inventory)
        finally:
            app.extensions["lbctl.poller"].stop(timeout_s=30)
            server.shutdown()
            serving.join(5)
            app.extensions["lbctl.webhooks"].close()
            for host in ("lb1", "lb2"):
                lab.link_up(host)
                lab.exec_on(host, ["rm", "-f", NOTIFY_ENV], check=False)
            lab.start_backend("app2")
            app.extensions["lbctl.sessions"].kw["bind"].dispose()


def deploy_notifying(lab: Lab, control: ControlPlane) -> None:
    result = deploy(lab, lab_model(fast_vrrp), control.inventory)
    assert all(status in ("changed", "unchanged") for _, status in statuses(result)), result
    assert wait_for(lambda: lab.vips_on("lb1") == [VIP] and lab.vips_on("lb2") == [], 10)
    poller = control.app.extensions["lbctl.poller"]
    rounds = poller.rounds
    assert wait_for(lambda: poller.rounds >= rounds + 2, 60, 0.2)  # the engine knows the states


def test_haproxy_answers_prometheus_on_the_admin_address(lab: Lab) -> None:
    result = deploy(lab, lab_model())
    assert all(status in ("changed", "unchanged") for _, status in statuses(result)), result
    for host in ("lb1", "lb2"):
        text = lab.exec_on(
            host, ["curl", "-fsS", "--max-time", "5", "http://127.0.0.1:8405/metrics"]
        ).stdout
        assert "# TYPE haproxy_process_uptime_seconds" in text
        assert 'haproxy_server_status{proxy="app",server="app1",state="UP"} 1' in text


def test_a_backend_going_down_alerts_and_its_recovery_resolves(
    lab: Lab, control_plane: ControlPlane
) -> None:
    control = control_plane
    deploy_notifying(lab, control)
    subject = "app/app2 on lb1"
    lab.stop_backend("app2")
    assert wait_for(lambda: control.alerts("backend_down", subject), ALERT_WAIT_S, 0.2)
    lab.start_backend("app2")
    assert wait_for(
        lambda: control.alerts("backend_down", subject) == ["firing", "resolved"],
        ALERT_WAIT_S,
        0.2,
    ), control.webhook.accepted
    metrics = control.app.test_client().get("/metrics").get_data(as_text=True)
    assert 'lbctl_backend_server_up{host="lb1",pool="app",server="app2"} 1.0' in metrics


def test_a_failover_alerts_through_the_notify_hook_and_the_poller(
    lab: Lab, control_plane: ControlPlane
) -> None:
    control = control_plane
    deploy_notifying(lab, control)
    lab.link_down("lb1")
    try:
        assert wait_for(lambda: lab.vips_on("lb2") == [VIP], 5)
        # keepalived on lb2 ran the hook, which reported to the API over the lab network.
        reported = ("lb2", "edge", "MASTER")
        assert wait_for(
            lambda: (
                reported in [(e["host"], e["instance"], e["state"]) for e in control.vrrp_events()]
            ),
            10,
            0.1,
        ), control.vrrp_events()
        assert wait_for(
            lambda: control.alerts("vrrp_state_change", "edge on lb2") == ["firing"], 10, 0.1
        )
        assert wait_for(lambda: control.alerts("host_unreachable", "lb1"), ALERT_WAIT_S, 0.2)
    finally:
        lab.link_up("lb1")
    assert wait_for(
        lambda: control.alerts("host_unreachable", "lb1") == ["firing", "resolved"],
        ALERT_WAIT_S,
        0.2,
    ), control.webhook.accepted
