"""Alerts: turn successive status snapshots and reported events into firing/resolved messages.

An alert is identified by (kind, subject). It is sent once when it starts firing and once
more, as "resolved", when its condition ends; while it fires nothing is re-sent. VRRP state
changes are transitions, not conditions: each one is sent once, whichever source (the
poller's snapshot or keepalived's notify hook) saw it first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from .status import EnvironmentStatus

AlertState = Literal["firing", "resolved"]
Severity = Literal["critical", "warning"]
Deliver = Callable[["Alert"], None]

# Conditions that a status snapshot proves or disproves; other kinds (deploy_failed,
# drift_found...) are raised and resolved by whoever detects them.
SNAPSHOT_KINDS = ("host_unreachable", "backend_down", "split_brain", "no_master")


@dataclass(frozen=True)
class Alert:
    """One message to the webhooks: the JSON body is `as_json()`."""

    kind: str
    subject: str
    severity: str
    state: AlertState
    message: str
    environment: str
    at: str  # ISO 8601, UTC

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Condition:
    severity: Severity
    message: str


Key = tuple[str, str]  # (kind, subject)


def snapshot_conditions(status: EnvironmentStatus) -> tuple[dict[Key, Condition], set[Key]]:
    """Return the conditions a snapshot shows, and the keys whose truth it knows.

    A server or VRRP instance on an unreachable host is unknown, not recovered: its alert
    keeps firing until a snapshot can see it again.
    """
    active: dict[Key, Condition] = {}
    known: set[Key] = set()
    masters: dict[str, list[str]] = {}
    for host in status.hosts:
        key = ("host_unreachable", host.host)
        known.add(key)
        if not host.reachable:
            active[key] = Condition("critical", f"{host.host} is unreachable: {host.error}")
            continue
        for server in host.servers:
            key = ("backend_down", f"{server.pool}/{server.server} on {host.host}")
            known.add(key)
            if server.down:
                message = f"{server.pool}/{server.server} is DOWN on {host.host} ({server.check})"
                active[key] = Condition("critical", message)
        for vrrp in host.vrrp:
            holders = masters.setdefault(vrrp.instance, [])
            if vrrp.state == "MASTER":
                holders.append(host.host)
    for instance, holders in masters.items():
        subject = f"vrrp {instance}"
        known |= {("split_brain", subject), ("no_master", subject)}
        if len(holders) > 1:
            message = f"split brain: {instance} is MASTER on " + ", ".join(holders)
            active[("split_brain", subject)] = Condition("critical", message)
        elif not holders:
            message = f"no host is MASTER of {instance}"
            active[("no_master", subject)] = Condition("critical", message)
    return active, known


class AlertEngine:
    """Remember what fires and which VRRP state each host reported; send only the changes."""

    def __init__(self, environment: str, deliver: Deliver) -> None:
        self.environment = environment
        self.deliver = deliver
        self._firing: dict[Key, Alert] = {}
        self._vrrp: dict[tuple[str, str], str] = {}  # (host, instance) -> state
        self._lock = threading.Lock()

    def firing(self) -> list[Alert]:
        """Return the alerts firing now."""
        with self._lock:
            return list(self._firing.values())

    def fire(self, kind: str, subject: str, message: str, severity: Severity) -> bool:
        """Send a firing alert unless it already fires; return whether it was sent."""
        with self._lock:
            if (kind, subject) in self._firing:
                return False
            alert = self._alert(kind, subject, severity, "firing", message)
            self._firing[(kind, subject)] = alert
        self.deliver(alert)
        return True

    def resolve(self, kind: str, subject: str, message: str = "") -> bool:
        """Send the recovery of a firing alert; return whether one was firing."""
        with self._lock:
            firing = self._firing.pop((kind, subject), None)
        if firing is None:
            return False
        text = message or f"recovered: {firing.message}"
        self.deliver(self._alert(kind, subject, firing.severity, "resolved", text))
        return True

    def observe(self, status: EnvironmentStatus) -> None:
        """Fire and resolve the snapshot's conditions; send its VRRP state changes."""
        active, known = snapshot_conditions(status)
        with self._lock:
            stale = [k for k in self._firing if k[0] in SNAPSHOT_KINDS and k in known]
        for key in stale:
            if key not in active:
                self.resolve(*key)
        for (kind, subject), condition in active.items():
            self.fire(kind, subject, condition.message, condition.severity)
        for host in status.hosts:
            if host.reachable and host.keepalived_up:
                for vrrp in host.vrrp:
                    self.vrrp_state(host.host, vrrp.instance, vrrp.state, vrrp.priority)

    def vrrp_state(self, host: str, instance: str, state: str, priority: int) -> bool:
        """Record a host's VRRP state; send a change from the last one known (not the first)."""
        with self._lock:
            before = self._vrrp.get((host, instance))
            self._vrrp[(host, instance)] = state
        if before is None or before == state:
            return False
        message = f"VRRP {instance} on {host}: {before} -> {state} (priority {priority})"
        severity: Severity = "critical" if state == "FAULT" else "warning"
        self.event("vrrp_state_change", f"{instance} on {host}", message, severity)
        return True

    def event(self, kind: str, subject: str, message: str, severity: Severity) -> None:
        """Send a one-off alert: a transition, not a condition, so never resolved."""
        self.deliver(self._alert(kind, subject, severity, "firing", message))

    def _alert(
        self, kind: str, subject: str, severity: str, state: AlertState, message: str
    ) -> Alert:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        return Alert(kind, subject, severity, state, message, self.environment, at)


ENGINE_KEY = "lbctl.alerts"


def raise_alert(
    kind: str,
    subject: str,
    message: str,
    severity: Severity = "warning",
    app: Any = None,
) -> bool:
    """Send a firing alert through the app's engine (de-duplicated); False when none runs.

    For detectors outside the snapshot (drift found, ...). Pass `app` from a thread
    without an app context; the matching `resolve_alert` sends the recovery.
    """
    engine = _engine(app)
    return engine.fire(kind, subject, message, severity) if engine else False


def send_event(
    kind: str, subject: str, message: str, severity: Severity = "warning", app: Any = None
) -> bool:
    """Send a one-off alert (a login lockout, ...) through the app's engine; False when none."""
    engine = _engine(app)
    if engine is None:
        return False
    engine.event(kind, subject, message, severity)
    return True


def resolve_alert(kind: str, subject: str, message: str = "", app: Any = None) -> bool:
    """Send the recovery of a firing alert through the app's engine; False when none fired."""
    engine = _engine(app)
    return engine.resolve(kind, subject, message) if engine else False


def _engine(app: Any) -> AlertEngine | None:
    if app is None:
        from flask import current_app, has_app_context

        if not has_app_context():
            return None
        app = current_app
    return app.extensions.get(ENGINE_KEY)
