"""The Ansible executor: a host's result read from deploy.yml's facts, never from its text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from controlplane.deploy import AnsibleExecutor, DeployEvent, HostDeploy, ansible_executor
from controlplane.deploy.ansible_executor import (
    DECIDE_TASK,
    decision_vars,
    host_batches,
    host_result,
    host_results,
)
from controlplane.deploy.attached import ShippedFile
from controlplane.deploy.events import from_runner_event
from controlplane.deploy.runner import PlaybookRun
from controlplane.deploy.sequence import HostProbe


def _event(name: str, task: str, res: dict[str, Any], host: str = "lb1") -> DeployEvent:
    event = from_runner_event(
        {"event": name, "event_data": {"host": host, "task": task, "res": res}}
    )
    assert event is not None
    return event


def _verdict(haproxy: str, keepalived: str = "") -> DeployEvent:
    facts = {"lbctl_verdict": {"haproxy": haproxy, "keepalived": keepalived}}
    return _event("runner_on_ok", "compare: what changes", {"ansible_facts": facts})


APPLY_FAILED = _event(
    "runner_on_failed",
    "install + reload (or runtime API): haproxy",
    {
        "msg": "reload: haproxy: `kill -USR2 1` exited 1: bind failed",
        "lbctl_step": "reload: haproxy",
    },
)
RESTORED = _event(
    "runner_on_ok",
    "rollback: done",
    {"ansible_facts": {"lbctl_rollback": {"after": "reload: haproxy: ..."}}},
)
ROLLBACK_REPORT = _event(
    "runner_on_failed", "lbctl rolled back", {"msg": "lbctl:rolled-back after reload: haproxy"}
)


def test_a_run_whose_verdict_names_a_change_changed_the_host() -> None:
    result = host_result("lb1", True, [_verdict("differs")], 3.5)
    assert (result.status, result.seconds) == ("changed", 3.5)


def test_a_run_whose_verdict_names_no_change_left_the_host_alone() -> None:
    assert host_result("lb1", True, [_verdict("")], 1.0).status == "unchanged"


def test_another_hosts_verdict_says_nothing_about_this_one() -> None:
    other = _event(
        "runner_on_ok", "compare", {"ansible_facts": {"lbctl_verdict": {"haproxy": "x"}}}
    )
    assert host_result("lb2", True, [other], 1.0).status == "unchanged"


def test_a_finished_rescue_means_rolled_back_with_the_cause_as_the_error() -> None:
    events = [_verdict("differs"), APPLY_FAILED, RESTORED, ROLLBACK_REPORT]
    result = host_result("lb1", False, events, 4.0)
    assert result.status == "rolled back"
    assert result.failed_step == "reload: haproxy"
    assert result.error == "reload: haproxy: `kill -USR2 1` exited 1: bind failed"


def test_a_rollback_that_failed_too_is_failed() -> None:
    restore_failed = _event(
        "runner_on_failed",
        "rollback: restore and reload haproxy",
        {"msg": "verify: no new worker", "lbctl_step": "verify: a new worker"},
    )
    result = host_result("lb1", False, [APPLY_FAILED, restore_failed], 4.0)
    assert result.status == "failed" and result.failed_step == "reload: haproxy"


def test_a_failure_before_any_install_is_failed_at_its_task() -> None:
    check = _event("runner_on_failed", "validate: haproxy -c on the host", {"stderr": "", "rc": 1})
    result = host_result("lb1", False, [_verdict("differs"), check], 2.0)
    assert (result.status, result.failed_step) == ("failed", "validate: haproxy -c on the host")


def test_a_connection_lost_mid_run_is_unreachable() -> None:
    lost = _event("runner_on_unreachable", "stage: upload", {"msg": "Data could not be sent"})
    assert host_result("lb1", False, [lost], 9.0).status == "unreachable"


def test_an_ignored_failure_is_not_the_cause() -> None:
    ignored = from_runner_event(
        {
            "event": "runner_on_failed",
            "event_data": {"host": "lb1", "task": "t", "ignore_errors": True, "res": {}},
        }
    )
    assert ignored is not None
    result = host_result("lb1", False, [ignored, APPLY_FAILED], 1.0)
    assert result.failed_step == "reload: haproxy"


def _probe_fact(host: str) -> dict[str, Any]:
    return {
        "haproxy_found": "False",
        "keepalived_found": "False",
        "addresses": [],
        "host": host,
    }


def _one_run(
    monkeypatch: pytest.MonkeyPatch, seen: dict[str, Any], events: list[DeployEvent]
) -> None:
    """Stand in for ansible-runner: the probe play answers, the decide task starts."""

    def run_playbook(playbook: str, inventory: Path, **kwargs: Any) -> PlaybookRun:
        extravars = kwargs["extravars"]
        run = PlaybookRun("successful", 0)
        for host in extravars["lbctl_hosts"]:
            run.facts[host] = {"lbctl_probe": _probe_fact(host)}
        start = {"event": "playbook_on_task_start", "event_data": {"task": DECIDE_TASK}}
        kwargs["on_raw"](start, run)
        decision = Path(extravars["lbctl_decision_file"])
        seen.update(
            playbook=playbook,
            inventory=inventory,
            extravars=extravars,
            decision=json.loads(decision.read_text()),
            files={
                str(p.relative_to(decision.parent)): p.read_text()
                for p in decision.parent.rglob("*")
                if p.is_file() and p != decision
            },
        )
        run.events = events
        return run

    monkeypatch.setattr(ansible_executor, "run_playbook", run_playbook)


def test_one_run_probes_then_deploys_what_the_control_plane_decided_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}
    _one_run(monkeypatch, seen, [_verdict("differs")])
    job = HostDeploy(
        "lb1",
        "haproxy text",
        ("keepalived without the VIP", "keepalived final"),
        runtime_commands=("set server app/app1 weight 7",),
        rollback_commands=("set server app/app1 weight 100",),
        vrrp_instances=("edge",),
    )
    asked: list[dict[str, HostProbe]] = []

    def plan(probes: dict[str, HostProbe]) -> list[list[HostDeploy]]:
        asked.append(probes)
        return [[job]]

    probes, results = AnsibleExecutor(Path("hosts.yml")).probe_and_deploy(
        ["lb1"], plan, lambda e: None, lambda: False
    )

    assert asked == [probes] and probes["lb1"].reachable
    assert results["lb1"].status == "changed"
    assert (seen["playbook"], seen["inventory"]) == ("deploy.yml", Path("hosts.yml"))
    assert seen["files"] == {
        "lb1/haproxy.cfg": "haproxy text",
        "lb1/keepalived.phase1.conf": "keepalived without the VIP",
        "lb1/keepalived.conf": "keepalived final",
    }
    decided = seen["decision"]["jobs"]["lb1"]
    assert decided["keepalived_phases"] == ["keepalived.phase1.conf", "keepalived.conf"]
    assert decided["haproxy_runtime_commands"] == ["set server app/app1 weight 7"]
    assert decided["haproxy_rollback_commands"] == ["set server app/app1 weight 100"]
    assert decided["vrrp_instances"] == ["edge"]
    assert not Path(seen["extravars"]["render_dir"]).exists()  # the files go with the run


def test_a_plan_that_deploys_nothing_leaves_the_deploy_play_no_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}
    _one_run(monkeypatch, seen, [])
    _, results = AnsibleExecutor(Path("hosts.yml")).probe_and_deploy(
        ["lb1", "lb2"], lambda probes: [], lambda e: None, lambda: False
    )
    assert seen["decision"]["order"] == [] and results == {}


def test_a_plan_that_raises_deploys_nothing_and_raises_after_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}
    _one_run(monkeypatch, seen, [])

    def plan(probes: dict[str, HostProbe]) -> list[list[HostDeploy]]:
        raise ValueError("the plan broke")

    with pytest.raises(ValueError, match="the plan broke"):
        AnsibleExecutor(Path("hosts.yml")).probe_and_deploy(
            ["lb1"], plan, lambda e: None, lambda: False
        )
    assert seen["decision"]["order"] == []


def test_attached_files_go_as_files_of_the_run_never_as_variables(tmp_path: Path) -> None:
    key_text = "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n"
    job = HostDeploy(
        "lb1",
        "haproxy text",
        ("keepalived",),
        files_dir="/etc/haproxy/lbctl",
        attached=(
            ShippedFile("certs/site.pem", key_text, private=True),
            ShippedFile("maps/hosts.map", "a.example.com app\n"),
        ),
    )
    decision = decision_vars(tmp_path, [[job]])

    folder = tmp_path / "lb1" / "files"
    assert {
        str(p.relative_to(folder)): (p.read_text(), p.stat().st_mode & 0o777)
        for p in folder.rglob("*")
        if p.is_file()
    } == {
        "certs/site.pem": (key_text, 0o600),
        "maps/hosts.map": ("a.example.com app\n", 0o600),
    }
    assert "secret" not in repr(decision)
    jobs = decision["jobs"]["lb1"]
    assert jobs["files_dir"] == "/etc/haproxy/lbctl"
    assert jobs["attached_names"] == ["certs/site.pem", "maps/hosts.map"]
    assert jobs["attached_private"] == ["certs/site.pem"]
    assert "secret" not in repr(job)


def _job(host: str) -> HostDeploy:
    return HostDeploy(host, "haproxy text", ("keepalived",))


def test_one_run_deploys_every_lanes_first_host_then_every_lanes_second() -> None:
    lanes = [[_job("lb2"), _job("lb1")], [_job("lb4"), _job("lb3")], [_job("lb5")]]
    assert host_batches(lanes) == [["lb2", "lb4", "lb5"], ["lb1", "lb3"]]


def test_the_deploy_play_is_asked_for_the_hosts_batch_after_batch(tmp_path: Path) -> None:
    lanes = [[_job("lb2"), _job("lb1")], [_job("lb4"), _job("lb3")]]
    decision = decision_vars(tmp_path, lanes)
    assert (decision["order"], decision["batches"]) == (["lb2", "lb4", "lb1", "lb3"], [2, 2])
    assert sorted(decision["jobs"]) == ["lb1", "lb2", "lb3", "lb4"]


def test_a_host_the_run_never_reached_did_not_run_and_a_failed_one_failed() -> None:
    failed = _event(
        "runner_on_failed", "stage: upload", {"msg": "disk full", "lbctl_step": "stage"}, "lb2"
    )
    ok = _event("runner_on_ok", "compare: what changes", {}, "lb4")
    results = host_results(["lb2", "lb4", "lb1", "lb3"], False, [failed, ok])
    assert {h: r.status for h, r in results.items()} == {
        "lb2": "failed",
        "lb4": "unchanged",
        "lb1": "not run",
        "lb3": "not run",
    }
    assert results["lb2"].error == "disk full"


def test_a_run_that_failed_before_any_host_fails_the_first() -> None:
    results = host_results(["lb2", "lb1"], False, [])
    assert (results["lb2"].status, results["lb1"].status) == ("failed", "not run")
