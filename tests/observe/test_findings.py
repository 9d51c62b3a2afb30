"""What `lbctl status` flags: split brain, no MASTER, hosts and servers down."""

from __future__ import annotations

from controlplane.observe import HostStatus, ServerState, VrrpState, findings


def host(
    name: str, *states: tuple[str, str], servers: list[ServerState] | None = None
) -> HostStatus:
    return HostStatus(
        name,
        reachable=True,
        haproxy_up=True,
        keepalived_up=True,
        vrrp=[VrrpState(instance, state, 0, 100) for instance, state in states],
        servers=servers or [],
    )


def messages(hosts: list[HostStatus]) -> list[tuple[str, str, str]]:
    return [(f.severity, f.subject, f.message) for f in findings(hosts)]


def test_one_master_per_instance_is_healthy() -> None:
    assert messages([host("lb1", ("edge", "MASTER")), host("lb2", ("edge", "BACKUP"))]) == []


def test_two_masters_for_one_instance_is_split_brain() -> None:
    found = messages([host("lb1", ("edge", "MASTER")), host("lb2", ("edge", "MASTER"))])
    assert found == [("critical", "vrrp edge", "split brain: MASTER on lb1, lb2")]


def test_no_master_is_critical() -> None:
    found = messages([host("lb1", ("edge", "BACKUP")), host("lb2", ("edge", "FAULT"))])
    assert ("critical", "vrrp edge", "no host is MASTER") in found
    assert ("warning", "lb2", "VRRP edge is in FAULT") in found


def test_unreachable_host_and_stopped_daemons_are_critical() -> None:
    away = HostStatus("lb2", reachable=False, error="Connection refused")
    stopped = HostStatus("lb1", reachable=True)
    found = messages([stopped, away])
    assert ("critical", "lb2", "unreachable: Connection refused") in found
    assert ("critical", "lb1", "HAProxy does not answer its runtime API") in found
    assert ("critical", "lb1", "keepalived is not running") in found


def test_a_server_down_is_critical_and_names_pool_server_and_host() -> None:
    down = ServerState("app", "app2", "DOWN", 100, False, "L7STS", 0)
    up = ServerState("app", "app1", "UP", 100, False, "L7OK", 3)
    found = messages([host("lb1", ("edge", "MASTER"), servers=[up, down])])
    assert found == [("critical", "app/app2", "DOWN on lb1 (L7STS)")]
