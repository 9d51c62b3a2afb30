"""Deploys over real SSH with Ansible to the lab's LB hosts (root only)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from controlplane import lab as lab_api
from controlplane.deploy import deploy_environment
from controlplane.lab import Lab
from controlplane.model import validate_data
from controlplane.render import render_model

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

LAB_MODEL = Path(__file__).parent.parent / "deploy" / "lab.yaml"
VIP_URL = "http://198.18.0.100/"


@pytest.fixture(scope="module")
def fresh_lab(lab_session: None) -> Iterator[Lab]:
    """A lab whose hosts have never seen a deploy; rebuilt fresh again for later modules."""
    try:
        yield lab_api.up(lb_hosts=2, backends=3)
    finally:
        lab_api.up(lb_hosts=2, backends=3)


def _model(change=None):
    data = yaml.safe_load(LAB_MODEL.read_text())
    if change:
        data = copy.deepcopy(data)
        change(data)
    return validate_data(data).model


def _deploy(lab: Lab, model):
    return deploy_environment(model, render_model(model), lab.inventory_path, "lab-test")


def _worker_pid(lab: Lab, host: str) -> str:
    out = lab.exec_on(
        host,
        ["socat", "-t", "2", "stdio", "unix-connect:/run/haproxy/admin.sock"],
        input="show info\n",
    ).stdout
    return next(line for line in out.splitlines() if line.startswith("Pid:"))


def test_deploy_to_fresh_hosts_serves_every_enabled_backend(fresh_lab: Lab) -> None:
    result = _deploy(fresh_lab, _model())
    assert [(h.host, h.status) for h in result.hosts] == [("lb1", "changed"), ("lb2", "changed")]
    load = fresh_lab.run_load(VIP_URL, connections=8, duration=3, max_requests=50_000)
    assert load["failed"] == 0 and load["ok"] > 0
    # app3 is a drained backup: only the enabled servers take traffic, 2:1 by weight.
    assert set(load["backends"]) == {"app1", "app2"}
    assert fresh_lab.vips_on("lb1") == ["198.18.0.100"]


def test_redeploy_without_change_touches_no_host_backup_first(fresh_lab: Lab) -> None:
    before = {h: _worker_pid(fresh_lab, h) for h in ("lb1", "lb2")}
    result = _deploy(fresh_lab, _model())
    assert [(h.host, h.status) for h in result.hosts] == [
        ("lb2", "unchanged"),
        ("lb1", "unchanged"),  # lb1 holds the VIP: it goes last
    ]
    assert {h: _worker_pid(fresh_lab, h) for h in ("lb1", "lb2")} == before  # no reload


def test_change_under_load_drops_no_request(fresh_lab: Lab) -> None:
    def change(data):
        data["pools"][0]["servers"][1]["weight"] = 100
        data["health_checks"][0]["interval"] = "1s"

    load = fresh_lab.start_load(VIP_URL, connections=8, duration=25, max_requests=400_000)
    result = _deploy(fresh_lab, _model(change))
    stats = load.result()
    assert [h.status for h in result.hosts] == ["changed", "changed"]
    assert stats["requests"] > 1000
    assert stats["failed"] == 0, stats


def test_failed_host_side_validation_changes_nothing(fresh_lab: Lab) -> None:
    before = {h: _worker_pid(fresh_lab, h) for h in ("lb1", "lb2")}

    def add_tls(data):  # the certificate does not exist on the lab hosts
        data["frontends"].append(
            {
                "name": "tls",
                "vip_pair": "edge",
                "port": 443,
                "tls": {"certificate": "/etc/haproxy/certs/missing.pem"},
                "default_pool": "app",
            }
        )

    result = _deploy(fresh_lab, _model(add_tls))
    assert [(h.host, h.status) for h in result.hosts] == [("lb2", "failed"), ("lb1", "not run")]
    assert result.hosts[0].failed_step == "validate: haproxy -c on the host"
    assert "missing.pem" in result.hosts[0].error
    assert {h: _worker_pid(fresh_lab, h) for h in ("lb1", "lb2")} == before
    load = fresh_lab.run_load(VIP_URL, connections=4, duration=2, max_requests=20_000)
    assert load["failed"] == 0
