"""Ansible events as plain values; the host-side checks' output is reduced like the local one."""

from __future__ import annotations

from controlplane.deploy.events import from_runner_event

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
