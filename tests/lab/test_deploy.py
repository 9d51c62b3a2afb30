"""Deploys over real SSH with Ansible to the lab's LB hosts (root only)."""

from __future__ import annotations

import json

import pytest

from controlplane.deploy import DeployEvent, deploy_environment, diff_deployed, probe_hosts
from controlplane.lab import Lab
from controlplane.render import render_model

from ..test_cli import lbctl
from .deploying import (
    LAB_MODEL,
    VIP,
    VIP_URL,
    deploy,
    lab_model,
    live_file,
    statuses,
    worker_pid,
)

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]


def test_deploy_to_fresh_hosts_serves_every_enabled_backend(fresh_lab: Lab) -> None:
    result = deploy(fresh_lab, lab_model())
    assert statuses(result) == [("lb1", "changed"), ("lb2", "changed")]
    load = fresh_lab.run_load(VIP_URL, connections=8, duration=3, max_requests=50_000)
    assert load["failed"] == 0 and load["ok"] > 0
    # app3 is a drained backup: only the enabled servers take traffic, 2:1 by weight.
    assert set(load["backends"]) == {"app1", "app2"}
    assert fresh_lab.vips_on("lb1") == [VIP]


def test_redeploy_without_change_touches_no_host_backup_first(fresh_lab: Lab) -> None:
    before = {h: worker_pid(fresh_lab, h) for h in ("lb1", "lb2")}
    result = deploy(fresh_lab, lab_model())
    assert statuses(result) == [
        ("lb2", "unchanged"),
        ("lb1", "unchanged"),  # lb1 holds the VIP: it goes last
    ]
    assert {h: worker_pid(fresh_lab, h) for h in ("lb1", "lb2")} == before  # no reload


def test_change_under_load_drops_no_request(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(data):  # add a server to a pool and change a health check
        data["pools"][1]["servers"].append({"name": "app3", "address": "198.18.0.22", "port": 8080})
        data["health_checks"][0]["interval"] = "1s"

    baseline = fresh_lab.run_load(VIP_URL, connections=8, duration=5, max_requests=200_000)
    load = fresh_lab.start_load(VIP_URL, connections=8, duration=15, max_requests=400_000)
    result = deploy(fresh_lab, lab_model(change))
    stats = load.result()
    with capsys.disabled():
        print(
            f"\n  deploy under load: {stats['failed']} failed of {stats['requests']} requests "
            f"(p99 {stats['latency_ms'].get('p99')} ms); without a deploy: "
            f"{baseline['failed']} failed of {baseline['requests']}"
        )
    assert [h.status for h in result.hosts] == ["changed", "changed"]
    assert baseline["requests"] > 1000 and baseline["failed"] == 0, baseline
    assert stats["requests"] > 1000
    assert stats["failed"] == 0, stats


def test_failed_host_side_validation_changes_nothing(fresh_lab: Lab) -> None:
    before = {h: worker_pid(fresh_lab, h) for h in ("lb1", "lb2")}

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

    result = deploy(fresh_lab, lab_model(add_tls))
    assert statuses(result) == [("lb2", "failed"), ("lb1", "not run")]
    assert result.hosts[0].failed_step == "validate: haproxy -c on the host"
    assert "missing.pem" in result.hosts[0].error
    assert {h: worker_pid(fresh_lab, h) for h in ("lb1", "lb2")} == before
    load = fresh_lab.run_load(VIP_URL, connections=4, duration=2, max_requests=20_000)
    assert load["failed"] == 0


def test_vrrp_password_never_appears_in_events_or_diffs(fresh_lab: Lab) -> None:
    password = "Lab-Pw42"

    def authenticate(data):
        data["vip_pairs"][0]["authentication"] = {"type": "PASS", "password": password}

    model = lab_model(authenticate)
    probes = probe_hosts(fresh_lab.inventory_path, ["lb1", "lb2"])
    diff_text = "\n".join(
        line for d in diff_deployed(render_model(model), probes) for line in d.lines
    )
    events: list[DeployEvent] = []
    result = deploy_environment(
        model, render_model(model), fresh_lab.inventory_path, "lab-test", on_event=events.append
    )

    assert [h.status for h in result.hosts] == ["changed", "changed"]
    assert "auth_pass ********" in diff_text and password not in diff_text
    assert events and not [e for e in events if password in f"{e.task} {e.message}"]
    # The hosts did get it: keepalived runs with the password.
    live = live_file(fresh_lab, "lb1", "/etc/keepalived/keepalived.conf")
    assert f"auth_pass {password}" in live


def test_cli_diff_status_and_check_against_the_hosts(fresh_lab: Lab, tmp_path) -> None:
    inventory = str(fresh_lab.inventory_path)
    deploy(fresh_lab, lab_model())  # back to the lab model
    unchanged = lbctl("diff", str(LAB_MODEL), "-i", inventory)
    changed_model = tmp_path / "lb.yaml"
    changed_model.write_text(LAB_MODEL.read_text().replace("weight: 50", "weight: 60"))
    changed = lbctl("diff", str(changed_model), "-i", inventory, "--color", "never")
    check = lbctl("deploy", str(changed_model), "-i", inventory, "--check")
    status = lbctl("status", "-i", inventory, "--json")

    assert unchanged[0] == 0 and "no changes" in unchanged[2]
    assert changed[0] == 1
    assert "-    server app2 198.18.0.21:8080 check weight 50" in changed[1]
    assert "+    server app2 198.18.0.21:8080 check weight 60" in changed[1]
    plan = [line for line in changed[2].splitlines() if "app/app2" in line]
    assert len(plan) == 2 and all("runtime" in line for line in plan)  # lb1 and lb2
    assert check[0] == 0 and "weight 60" in check[1]
    assert status[0] == 0, status
    report = json.loads(status[1])
    vrrp = {h["host"]: h["vrrp"][0]["state"] for h in report["hosts"]}
    assert vrrp == {"lb1": "MASTER", "lb2": "BACKUP"} and report["critical"] == 0
    servers = {(s["pool"], s["server"]) for s in report["hosts"][0]["servers"]}
    assert ("app", "app2") in servers


def test_import_from_the_hosts_gives_back_the_deployed_environment(
    fresh_lab: Lab, tmp_path
) -> None:
    """`lbctl import -i`: the configs the hosts run, fetched over SSH, become the model again."""
    import yaml

    deploy(fresh_lab, lab_model())
    out = tmp_path / "lb.yaml"
    code, _, report = lbctl("import", "-i", str(fresh_lab.inventory_path), "-o", str(out))
    assert code == 0, report
    assert report.startswith("import: ")
    imported = yaml.safe_load(out.read_text())
    original = yaml.safe_load(LAB_MODEL.read_text())
    assert [(h["name"], h["address"]) for h in imported["lb_hosts"]] == [
        (h["name"], h["address"]) for h in original["lb_hosts"]
    ]
    pair = imported["vip_pairs"][0]
    assert (pair["hosts"], pair["virtual_router_id"], pair["vips"]) == (
        ["lb1", "lb2"],
        51,
        ["198.18.0.100/24"],
    )
    assert [(f["port"], f["mode"], f["default_pool"]) for f in imported["frontends"]] == [
        (80, "http", "app"),
        (8080, "tcp", "app-tcp"),
    ]
    # The imported model renders what the hosts run, but for formatting and rule names.
    assert lbctl("diff", str(out), "-i", str(fresh_lab.inventory_path))[0] == 1
