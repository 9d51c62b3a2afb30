"""Drift reports built from what hosts answer: edited or missing files, runtime state by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner

from controlplane.cli import main
from controlplane.deploy.sequence import HostProbe
from controlplane.model import LbModel, load_model_file
from controlplane.observe import EnvironmentStatus, HostStatus, ServerState
from controlplane.observe.drift import DriftReport, find_drift
from controlplane.render import HAPROXY_FILE, KEEPALIVED_FILE, Rendered, render_model
from controlplane.usecases import files
from tests.support import ROOT

LAB_MODEL = ROOT / "inventory" / "lab" / "lb.yaml"


@pytest.fixture(scope="module")
def model() -> LbModel:
    return load_model_file(LAB_MODEL).model


@pytest.fixture(scope="module")
def rendered(model: LbModel) -> Rendered:
    return render_model(model)


def probes_as_rendered(rendered: Rendered) -> dict[str, HostProbe]:
    return {h.host: HostProbe(h.host, True, dict(h.files), []) for h in rendered.hosts}


def running_as_modelled(model: LbModel, host: str) -> HostStatus:
    """Return a host whose runtime state is exactly what the model says."""
    servers = []
    for pool in model.pools:
        for s in pool.servers:
            status = {"maint": "MAINT", "drain": "DRAIN"}.get(s.state, "UP")
            weight = 0 if s.state == "drain" else s.weight
            servers.append(ServerState(pool.name, s.name, status, weight, s.backup, "L7OK", 0))
    return HostStatus(host, True, haproxy_up=True, keepalived_up=True, servers=servers)


def status_as_modelled(model: LbModel) -> EnvironmentStatus:
    return EnvironmentStatus([running_as_modelled(model, h.name) for h in model.lb_hosts], [])


def with_server(env: EnvironmentStatus, host: str, pool: str, server: str, **changes):
    hosts = []
    for h in env.hosts:
        if h.host == host:
            servers = [
                replace(s, **changes) if (s.pool, s.server) == (pool, server) else s
                for s in h.servers
            ]
            h = replace(h, servers=servers)
        hosts.append(h)
    return EnvironmentStatus(hosts, [])


def test_hosts_running_the_rendering_as_modelled_have_no_drift(model, rendered):
    report = find_drift(model, rendered, probes_as_rendered(rendered), status_as_modelled(model))
    assert not report.drifted and report.differences == []
    assert report.hosts == ["lb1", "lb2"]


def test_a_hand_edited_file_is_drift_with_its_diff(model, rendered):
    probes = probes_as_rendered(rendered)
    edited = probes["lb2"].files[HAPROXY_FILE].replace("retries 3", "retries 9")
    probes["lb2"] = replace(probes["lb2"], files={**probes["lb2"].files, HAPROXY_FILE: edited})
    report = find_drift(model, rendered, probes, status_as_modelled(model))
    [difference] = report.differences
    assert (difference.host, difference.kind, difference.subject) == (
        "lb2",
        "file changed",
        HAPROXY_FILE,
    )
    assert "-    retries 9" in difference.diff and "+    retries 3" in difference.diff


def test_a_missing_file_is_drift(model, rendered):
    probes = probes_as_rendered(rendered)
    probes["lb1"] = replace(probes["lb1"], files={**probes["lb1"].files, KEEPALIVED_FILE: None})
    report = find_drift(model, rendered, probes, status_as_modelled(model))
    assert [(d.host, d.kind, d.subject) for d in report.differences] == [
        ("lb1", "file missing", KEEPALIVED_FILE)
    ]


def test_a_server_put_in_maint_by_hand_is_drift(model, rendered):
    status = with_server(status_as_modelled(model), "lb1", "app", "app1", status="MAINT")
    report = find_drift(model, rendered, probes_as_rendered(rendered), status)
    [difference] = report.differences
    assert (difference.host, difference.kind, difference.subject) == (
        "lb1",
        "server state",
        "app/app1",
    )
    assert (difference.expected, difference.actual) == ("ready", "maint (MAINT)")


def test_a_weight_changed_at_runtime_is_drift(model, rendered):
    status = with_server(status_as_modelled(model), "lb2", "app", "app2", weight=10)
    report = find_drift(model, rendered, probes_as_rendered(rendered), status)
    assert [(d.kind, d.subject, d.expected, d.actual) for d in report.differences] == [
        ("server weight", "app/app2", "50", "10")
    ]


def test_a_down_server_is_health_not_drift(model, rendered):
    status = with_server(status_as_modelled(model), "lb1", "app", "app1", status="DOWN")
    assert not find_drift(model, rendered, probes_as_rendered(rendered), status).drifted


def test_a_drained_server_made_ready_by_hand_is_drift(model, rendered):
    status = with_server(status_as_modelled(model), "lb1", "app", "app3", status="UP", weight=1)
    report = find_drift(model, rendered, probes_as_rendered(rendered), status)
    assert [(d.kind, d.subject, d.expected) for d in report.differences] == [
        ("server state", "app/app3", "drain")
    ]


def test_stopped_daemons_and_unreachable_hosts_are_drift(model, rendered):
    status = status_as_modelled(model)
    status.hosts[0] = replace(status.hosts[0], keepalived_up=False)
    probes = probes_as_rendered(rendered)
    probes["lb2"] = HostProbe("lb2", False, {}, [], "ssh: timed out")
    report = find_drift(model, rendered, probes, status)
    assert [(d.host, d.kind, d.subject) for d in report.differences] == [
        ("lb1", "daemon down", "keepalived"),
        ("lb2", "unreachable", "host"),
    ]


def test_a_server_added_at_runtime_is_drift(model, rendered):
    status = status_as_modelled(model)
    extra = ServerState("app", "app9", "UP", 1, False, "L7OK", 0)
    status.hosts[1] = replace(status.hosts[1], servers=[*status.hosts[1].servers, extra])
    report = find_drift(model, rendered, probes_as_rendered(rendered), status)
    assert [(d.host, d.kind, d.subject) for d in report.differences] == [
        ("lb2", "server unknown", "app/app9")
    ]


def test_drift_cli_exit_codes(monkeypatch, tmp_path, model, rendered):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all: {hosts: {lb1: {}, lb2: {}}}\n")
    runner = CliRunner()
    missing = runner.invoke(main, ["drift", "-i", str(inventory)])
    assert missing.exit_code == 2 and "lb.yaml" in missing.output

    clean = find_drift(model, rendered, probes_as_rendered(rendered), status_as_modelled(model))
    monkeypatch.setattr(files, "drift_file", lambda *a: clean)
    assert runner.invoke(main, ["drift", str(LAB_MODEL), "-i", str(inventory)]).exit_code == 0

    status = with_server(status_as_modelled(model), "lb1", "app", "app1", status="MAINT")
    drifted = find_drift(model, rendered, probes_as_rendered(rendered), status)
    monkeypatch.setattr(files, "drift_file", lambda *a: drifted)
    result = runner.invoke(main, ["drift", str(LAB_MODEL), "-i", str(inventory), "--json"])
    assert result.exit_code == 1
    assert '"kind": "server state"' in result.output


def test_report_as_dict_says_whether_there_is_drift():
    assert DriftReport("abc", ["lb1"]).as_dict() == {
        "model_hash": "abc",
        "hosts": ["lb1"],
        "drift": False,
        "differences": [],
    }


def test_a_drained_backup_server_that_haproxy_shows_up_at_weight_0_is_no_drift(model, rendered):
    status = with_server(status_as_modelled(model), "lb1", "app", "app3", status="UP", weight=0)
    assert not find_drift(model, rendered, probes_as_rendered(rendered), status).drifted
