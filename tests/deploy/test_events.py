"""Ansible events as plain values; the host-side checks' output is reduced like the local one.

deploy.yml's verdict and rollback reach the control plane as facts: events carry them as
fields, and the verdict's words are made here.
"""

from __future__ import annotations

import pytest

from controlplane.deploy.events import (
    DeployEvent,
    Verdict,
    from_runner_event,
    phase_seconds,
    run_timing_event,
    timing_event,
)

HOST_OUTPUT = (
    "[NOTICE]   (311) : config : parsing [/var/lib/lbctl/staging/haproxy.cfg:3]: 'leaked'.\n"
    "[ALERT]    (311) : config : parsing [/var/lib/lbctl/staging/haproxy.cfg:12] : "
    "unknown keyword 'balancex' in 'backend' section\n"
    "[ALERT]    (311) : config : Fatal errors found in configuration.\n"
)


def _failed(task: str, stderr: str) -> dict:
    return {
        "event": "runner_on_failed",
        "event_data": {
            "host": "lb1",
            "task": task,
            "res": {"msg": "non-zero return code", "stderr": stderr, "rc": 1},
        },
    }


def test_a_failed_host_side_haproxy_check_reports_place_and_reason_only():
    event = from_runner_event(_failed("validate: haproxy -c on the host", HOST_OUTPUT))
    assert event is not None and event.kind == "failed"
    assert event.message == ("lb1/haproxy.cfg:12: unknown keyword 'balancex' in 'backend' section")


def test_a_failed_host_side_keepalived_check_keeps_its_lines_bounded():
    event = from_runner_event(
        _failed("validate: keepalived -t on the host", "(keepalived.conf: Line 3) x" * 500)
    )
    assert event is not None and len(event.message) <= 400


def test_another_failed_task_keeps_its_message():
    event = from_runner_event(_failed("install + reload (or runtime API): haproxy", "boom"))
    assert event is not None and event.message == "non-zero return code boom"


def _fact(name: str, value: object, event: str = "runner_on_ok") -> dict:
    res = {"ansible_facts": {name: value}, "changed": False}
    return {"event": event, "event_data": {"host": "lb1", "task": "t", "res": res}}


@pytest.mark.parametrize(
    ("haproxy", "keepalived", "message"),
    [
        ("differs", "", "will change: haproxy.cfg"),
        ("", "differs", "will change: keepalived.conf"),
        ("differs", "reload pending", "will change: haproxy.cfg, keepalived.conf (reload pending)"),
        ("not running", "", "will change: haproxy.cfg (not running)"),
        ("", "", "already up to date: nothing to do"),
    ],
)
def test_the_verdict_fact_is_a_field_and_reads_in_words(haproxy, keepalived, message) -> None:
    event = from_runner_event(
        _fact("lbctl_verdict", {"haproxy": haproxy, "keepalived": keepalived})
    )
    assert event is not None and event.kind == "ok"
    assert event.verdict == Verdict(haproxy, keepalived)
    assert event.verdict.changes is bool(haproxy or keepalived)
    assert event.message == message


def test_the_rollback_fact_marks_the_event() -> None:
    event = from_runner_event(_fact("lbctl_rollback", {"after": "reload: haproxy: boom"}))
    assert event is not None and event.rolled_back and event.verdict is None


def test_other_facts_and_messages_carry_nothing_for_the_control_plane() -> None:
    debug = {"event": "runner_on_ok", "event_data": {"host": "lb1", "res": {"msg": "hello"}}}
    for raw in (_fact("lbctl_probe", {"addresses": []}), debug):
        event = from_runner_event(raw)
        assert event is not None
        assert (event.message, event.verdict, event.rolled_back) == ("", None, False)


def test_a_failed_check_inside_the_stage_step_is_reduced_by_its_step_name():
    raw = _failed("stage: upload, compare with the live files, back up what will change", "")
    raw["event_data"]["res"] |= {
        "stderr": HOST_OUTPUT,
        "lbctl_step": "validate: haproxy -c on the host",
    }
    event = from_runner_event(raw)
    assert event is not None and event.step == "validate: haproxy -c on the host"
    assert event.message == ("lb1/haproxy.cfg:12: unknown keyword 'balancex' in 'backend' section")
    assert "leaked" not in event.message


def _timed(task: str, duration: float, phases: dict | None = None) -> DeployEvent:
    res = {"lbctl_phases": phases} if phases else {}
    raw = {
        "event": "runner_on_ok",
        "event_data": {"host": "lb1", "task": task, "res": res, "duration": duration},
    }
    event = from_runner_event(raw)
    assert event is not None
    return event


def test_the_time_of_a_host_is_told_per_phase_the_module_overhead_apart() -> None:
    events = [
        _timed("probe: files and addresses", 0.5),
        _timed("stage: upload", 1.0, {"stage": 0.1, "check": 0.2}),
        _timed("compare: what changes", 0.05),
        _timed(
            "install + reload (or runtime API): haproxy",
            1.0,
            {"install": 0.1, "reload": 0.3, "verify": 0.1},
        ),
    ]
    timing = phase_seconds(events)
    assert timing.seconds == {
        "probe": 0.5,
        "stage": 0.15,
        "check": 0.2,
        "install": 0.1,
        "reload": 0.3,
        "verify": 0.1,
        "overhead": 1.2,
    }
    assert timing.total == pytest.approx(2.05)  # the probe is shared by the deploy's hosts
    event = timing_event("lb1", events)
    assert (event.kind, event.task) == ("info", "timing")
    assert event.message.startswith("seconds per phase: probe 0.50 s, stage 0.15 s, check 0.20 s")


def test_the_runs_timing_says_where_the_one_ansible_run_spent_its_time() -> None:
    probe_start = DeployEvent("lb1", "task", "probe: files and addresses", at=101.0)
    host_done = DeployEvent("lb1", "changed", "stage, check, install + reload", at=104.0)
    event = run_timing_event(100.0, (102.0, 102.5), [probe_start, host_done], 104.5)
    assert dict(event.phases) == {
        "ansible start": 1.0,
        "probe": 1.0,
        "decide": 0.5,
        "hosts": 1.5,
        "ansible end": 0.5,
    }
    assert (event.host, event.kind, event.task) == ("", "info", "timing")
    assert event.message.endswith("(total 4.50 s)")


def test_a_skipped_task_costs_the_host_nothing() -> None:
    stop = DeployEvent("lb1", "skipped", "stop: an earlier host failed", seconds=9.5)
    step = DeployEvent("lb1", "changed", "stage, check", seconds=1.0, phases=(("stage", 0.25),))
    assert phase_seconds([stop, step]).seconds == {"stage": 0.25, "overhead": 0.75}
