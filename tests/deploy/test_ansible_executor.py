"""The Ansible executor: a host's result read from deploy.yml's facts, never from its text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from controlplane.deploy import AnsibleExecutor, DeployEvent, HostDeploy, ansible_executor
from controlplane.deploy.ansible_executor import host_batches, host_result, host_results
from controlplane.deploy.attached import ShippedFile
from controlplane.deploy.events import from_runner_event
from controlplane.deploy.runner import PlaybookRun


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


def test_deploy_hands_the_playbook_the_jobs_files_and_commands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def run_playbook(playbook: str, inventory: Path, **kwargs: Any) -> PlaybookRun:
        folder = Path(kwargs["extravars"]["render_dir"]) / "lb1"
        seen.update(
            kwargs["extravars"]["lbctl_jobs"]["lb1"], playbook=playbook, inventory=inventory
        )
        seen["render_dir"] = kwargs["extravars"]["render_dir"]
        seen["files"] = {p.name: p.read_text() for p in folder.iterdir()}
        return PlaybookRun("successful", 0, [_verdict("differs")])

    monkeypatch.setattr(ansible_executor, "run_playbook", run_playbook)
    job = HostDeploy(
        "lb1",
        "haproxy text",
        ("keepalived without the VIP", "keepalived final"),
        runtime_commands=("set server app/app1 weight 7",),
        rollback_commands=("set server app/app1 weight 100",),
        vrrp_instances=("edge",),
    )
    results = AnsibleExecutor(Path("hosts.yml")).deploy_lanes(
        [[job]], lambda e: None, lambda: False
    )

    assert results["lb1"].status == "changed"
    assert (seen["playbook"], seen["inventory"]) == ("deploy.yml", Path("hosts.yml"))
    assert seen["files"] == {
        "haproxy.cfg": "haproxy text",
        "keepalived.phase1.conf": "keepalived without the VIP",
        "keepalived.conf": "keepalived final",
    }
    assert seen["keepalived_phases"] == ["keepalived.phase1.conf", "keepalived.conf"]
    assert seen["haproxy_runtime_commands"] == ["set server app/app1 weight 7"]
    assert seen["haproxy_rollback_commands"] == ["set server app/app1 weight 100"]
    assert seen["vrrp_instances"] == ["edge"]
    assert not Path(seen["render_dir"]).exists()  # the rendered files go with the run


def test_attached_files_go_as_files_of_the_run_never_as_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}
    key_text = "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n"

    def run_playbook(playbook: str, inventory: Path, **kwargs: Any) -> PlaybookRun:
        folder = Path(kwargs["extravars"]["render_dir"]) / "lb1" / "files"
        seen["extravars"] = kwargs["extravars"]
        seen["files"] = {
            str(p.relative_to(folder)): (p.read_text(), p.stat().st_mode & 0o777)
            for p in folder.rglob("*")
            if p.is_file()
        }
        return PlaybookRun("successful", 0, [_verdict("attached files differ")])

    monkeypatch.setattr(ansible_executor, "run_playbook", run_playbook)
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
    AnsibleExecutor(Path("hosts.yml")).deploy_lanes([[job]], lambda e: None, lambda: False)

    assert seen["files"] == {
        "certs/site.pem": (key_text, 0o600),
        "maps/hosts.map": ("a.example.com app\n", 0o600),
    }
    assert "secret" not in repr(seen["extravars"])
    extravars = seen["extravars"]["lbctl_jobs"]["lb1"]
    assert extravars["files_dir"] == "/etc/haproxy/lbctl"
    assert extravars["attached_names"] == ["certs/site.pem", "maps/hosts.map"]
    assert extravars["attached_private"] == ["certs/site.pem"]
    assert "secret" not in repr(extravars) and "secret" not in repr(job)


def _job(host: str) -> HostDeploy:
    return HostDeploy(host, "haproxy text", ("keepalived",))


def test_one_run_deploys_every_lanes_first_host_then_every_lanes_second() -> None:
    lanes = [[_job("lb2"), _job("lb1")], [_job("lb4"), _job("lb3")], [_job("lb5")]]
    assert host_batches(lanes) == [["lb2", "lb4", "lb5"], ["lb1", "lb3"]]


def test_the_deploy_run_is_asked_for_the_hosts_batch_after_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def run_playbook(playbook: str, inventory: Path, **kwargs: Any) -> PlaybookRun:
        seen.update(kwargs["extravars"])
        return PlaybookRun("successful", 0, [])

    monkeypatch.setattr(ansible_executor, "run_playbook", run_playbook)
    lanes = [[_job("lb2"), _job("lb1")], [_job("lb4"), _job("lb3")]]
    AnsibleExecutor(Path("hosts.yml")).deploy_lanes(lanes, lambda e: None, lambda: False)
    assert (seen["lbctl_order"], seen["lbctl_batches"]) == (["lb2", "lb4", "lb1", "lb3"], [2, 2])
    assert sorted(seen["lbctl_jobs"]) == ["lb1", "lb2", "lb3", "lb4"]


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
