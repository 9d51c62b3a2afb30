"""Collect every LB host's live state over the deploy's SSH path, and flag what is critical."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..deploy.events import DeployEvent
from ..deploy.runner import run_playbook
from ..render import VRRP_STATE_DIR

Severity = Literal["critical", "warning"]


@dataclass(frozen=True)
class ServerState:
    pool: str
    server: str
    status: str  # HAProxy's: UP, DOWN, MAINT, DRAIN, NOLB, "no check", UP 1/3...
    weight: int
    backup: bool
    check: str
    sessions: int  # now (HAProxy's scur)
    # Since HAProxy started (stot): the traffic each server took. None from a status
    # module that does not report it.
    sessions_total: int | None = None

    @property
    def down(self) -> bool:
        return self.status.startswith("DOWN")


@dataclass(frozen=True)
class VrrpState:
    instance: str
    state: str  # MASTER, BACKUP, FAULT, STOP (as keepalived's notify hook reported it)
    since: int  # epoch seconds of the last transition
    priority: int


@dataclass
class HostStatus:
    host: str
    reachable: bool
    error: str = ""
    haproxy_up: bool = False
    haproxy_pid: int = 0
    haproxy_version: str = ""
    haproxy_uptime_s: int = 0
    keepalived_up: bool = False
    vrrp: list[VrrpState] = field(default_factory=list)
    servers: list[ServerState] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    subject: str  # host, "vrrp <instance>" or "pool/server"
    message: str


@dataclass
class EnvironmentStatus:
    hosts: list[HostStatus]
    findings: list[Finding]

    @property
    def critical(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "critical"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "hosts": [asdict(h) for h in self.hosts],
            "findings": [asdict(f) for f in self.findings],
            "critical": len(self.critical),
        }


def collect_status(
    inventory: Path, hosts: list[str] | None = None, on_event: Any = None
) -> EnvironmentStatus:
    """Return the live state of every (or the listed) inventory host, with findings."""
    events: list[DeployEvent] = []

    def sink(event: DeployEvent) -> None:
        events.append(event)
        if on_event:
            on_event(event)

    run = run_playbook(
        "status.yml",
        inventory,
        limit=",".join(hosts) if hosts else None,
        extravars={"vrrp_state_dir": VRRP_STATE_DIR},
        on_event=sink,
        fact_keys=("lbctl_status",),
    )
    errors = {e.host: e.message for e in events if e.kind in ("failed", "unreachable")}
    names = hosts or sorted(set(run.facts) | set(errors) | {e.host for e in events if e.host})
    statuses = [_host_status(h, run.facts.get(h, {}).get("lbctl_status"), errors) for h in names]
    return EnvironmentStatus(statuses, findings(statuses))


def _host_status(host: str, raw: dict | None, errors: dict[str, str]) -> HostStatus:
    if raw is None:
        return HostStatus(host, reachable=False, error=errors.get(host, "no answer"))
    haproxy = raw.get("haproxy") or {}
    running = bool(raw.get("keepalived_running"))
    return HostStatus(
        host,
        reachable=True,
        haproxy_up=bool(haproxy),
        haproxy_pid=int(haproxy.get("pid", 0)),
        haproxy_version=str(haproxy.get("version", "")),
        haproxy_uptime_s=int(haproxy.get("uptime_s", 0)),
        keepalived_up=running,
        # A state file outlives a stopped keepalived: it no longer speaks for the host.
        vrrp=[VrrpState(**v) for v in raw.get("vrrp", [])] if running else [],
        servers=[ServerState(**s) for s in raw.get("servers", [])],
        addresses=list(raw.get("addresses", [])),
    )


def findings(hosts: list[HostStatus]) -> list[Finding]:
    """Return what an operator must know: split brain, no MASTER, hosts or servers down."""
    found: list[Finding] = []
    masters: dict[str, list[str]] = defaultdict(list)
    instances: set[str] = set()
    for host in hosts:
        if not host.reachable:
            found.append(Finding("critical", host.host, f"unreachable: {host.error}"))
            continue
        if not host.haproxy_up:
            found.append(Finding("critical", host.host, "HAProxy does not answer its runtime API"))
        if not host.keepalived_up:
            found.append(Finding("critical", host.host, "keepalived is not running"))
        for vrrp in host.vrrp:
            instances.add(vrrp.instance)
            if vrrp.state == "MASTER":
                masters[vrrp.instance].append(host.host)
            elif vrrp.state == "FAULT":
                found.append(Finding("warning", host.host, f"VRRP {vrrp.instance} is in FAULT"))
        found += [
            Finding("critical", f"{s.pool}/{s.server}", f"DOWN on {host.host} ({s.check})")
            for s in host.servers
            if s.down
        ]
    for instance in sorted(instances):
        holders = masters.get(instance, [])
        if len(holders) > 1:
            message = "split brain: MASTER on " + ", ".join(holders)
            found.append(Finding("critical", f"vrrp {instance}", message))
        elif not holders:
            found.append(Finding("critical", f"vrrp {instance}", "no host is MASTER"))
    return found
