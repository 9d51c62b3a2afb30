"""Alerts: successive status snapshots become firing and resolved messages, each sent once."""

from __future__ import annotations

from controlplane.observe import EnvironmentStatus, HostStatus, ServerState, VrrpState, findings
from controlplane.observe.alerts import Alert, AlertEngine


def host(name: str, vrrp: str = "BACKUP", server: str = "UP", reachable: bool = True) -> HostStatus:
    if not reachable:
        return HostStatus(name, reachable=False, error="ssh: no route to host")
    return HostStatus(
        name,
        reachable=True,
        haproxy_up=True,
        keepalived_up=True,
        vrrp=[VrrpState("edge", vrrp, 0, 100)],
        servers=[ServerState("app", "app2", server, 100, False, "L4CON", 0)],
    )


def snapshot(*hosts: HostStatus) -> EnvironmentStatus:
    return EnvironmentStatus(list(hosts), findings(list(hosts)))


HEALTHY = snapshot(host("lb1", "MASTER"), host("lb2", "BACKUP"))


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def __call__(self, alert: Alert) -> None:
        self.sent.append(alert)

    def summary(self) -> list[tuple[str, str, str]]:
        return [(a.kind, a.subject, a.state) for a in self.sent]


def engine() -> tuple[AlertEngine, Recorder]:
    recorder = Recorder()
    return AlertEngine("prod", recorder), recorder


def test_a_healthy_environment_sends_nothing() -> None:
    alerts, sent = engine()
    alerts.observe(HEALTHY)
    alerts.observe(HEALTHY)
    assert sent.sent == []


def test_a_server_going_down_fires_once_and_its_recovery_resolves_once() -> None:
    alerts, sent = engine()
    alerts.observe(HEALTHY)
    down = snapshot(host("lb1", "MASTER", "DOWN"), host("lb2", "BACKUP", "DOWN"))
    alerts.observe(down)
    alerts.observe(down)  # still down: nothing new
    assert sent.summary() == [
        ("backend_down", "app/app2 on lb1", "firing"),
        ("backend_down", "app/app2 on lb2", "firing"),
    ]
    alerts.observe(HEALTHY)
    alerts.observe(HEALTHY)
    assert sent.summary()[2:] == [
        ("backend_down", "app/app2 on lb1", "resolved"),
        ("backend_down", "app/app2 on lb2", "resolved"),
    ]
    first, recovery = sent.sent[0], sent.sent[2]
    assert first.severity == "critical" and first.environment == "prod"
    assert "DOWN on lb1" in first.message and recovery.message.startswith("recovered: ")


def test_an_unreachable_host_fires_and_does_not_resolve_what_it_can_no_longer_see() -> None:
    alerts, sent = engine()
    alerts.observe(snapshot(host("lb1", "MASTER", "DOWN"), host("lb2")))
    alerts.observe(snapshot(host("lb1", reachable=False), host("lb2", "MASTER")))
    assert ("host_unreachable", "lb1", "firing") in sent.summary()
    # lb1's server is unknown while lb1 is unreachable: its alert keeps firing.
    assert ("backend_down", "app/app2 on lb1", "resolved") not in sent.summary()
    alerts.observe(HEALTHY)
    assert ("host_unreachable", "lb1", "resolved") in sent.summary()
    assert ("backend_down", "app/app2 on lb1", "resolved") in sent.summary()


def test_split_brain_begins_and_ends() -> None:
    alerts, sent = engine()
    alerts.observe(HEALTHY)
    alerts.observe(snapshot(host("lb1", "MASTER"), host("lb2", "MASTER")))
    alerts.observe(HEALTHY)
    split = [s for s in sent.summary() if s[0] == "split_brain"]
    assert split == [
        ("split_brain", "vrrp edge", "firing"),
        ("split_brain", "vrrp edge", "resolved"),
    ]


def test_no_master_fires() -> None:
    alerts, sent = engine()
    alerts.observe(snapshot(host("lb1", "BACKUP"), host("lb2", "BACKUP")))
    assert ("no_master", "vrrp edge", "firing") in sent.summary()


def test_a_vrrp_state_change_is_sent_once_whoever_reports_it_first() -> None:
    alerts, sent = engine()
    alerts.observe(HEALTHY)  # first sight of each state: no change to report
    assert alerts.vrrp_state("lb2", "edge", "MASTER", 100)  # the notify hook, at once
    alerts.observe(snapshot(host("lb1", reachable=False), host("lb2", "MASTER")))
    changes = [a for a in sent.sent if a.kind == "vrrp_state_change"]
    assert [(a.subject, a.message) for a in changes] == [
        ("edge on lb2", "VRRP edge on lb2: BACKUP -> MASTER (priority 100)")
    ]


def test_raised_alerts_are_deduplicated_and_resolved_by_their_detector() -> None:
    alerts, sent = engine()
    assert alerts.fire("drift_found", "lb1", "haproxy.cfg differs", "warning")
    assert not alerts.fire("drift_found", "lb1", "haproxy.cfg differs", "warning")
    alerts.observe(HEALTHY)  # snapshots never resolve another detector's alert
    assert [a.kind for a in alerts.firing()] == ["drift_found"]
    assert alerts.resolve("drift_found", "lb1")
    assert not alerts.resolve("drift_found", "lb1")
    assert sent.summary() == [
        ("drift_found", "lb1", "firing"),
        ("drift_found", "lb1", "resolved"),
    ]
    assert sent.sent[1].severity == "warning"


def test_the_json_body_has_the_documented_fields() -> None:
    alerts, sent = engine()
    alerts.fire("deploy_failed", "prod", "deployment 3 failed", "critical")
    body = sent.sent[0].as_json()
    assert set(body) == {"kind", "subject", "severity", "state", "message", "environment", "at"}
    assert body["at"].endswith("+00:00")
