"""Drift: what the hosts run (files and runtime state) compared with an expected revision."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..deploy.sequence import HostProbe
from ..diff import diff_files
from ..model import LbModel
from ..model.resolvers import template_slot_names
from ..render import Rendered, haproxy_context
from .status import EnvironmentStatus, HostStatus, ServerState

DriftKind = Literal[
    "unreachable",
    "file changed",
    "file missing",
    "daemon down",
    "server state",
    "server weight",
    "server missing",
    "server unknown",
    "certificate served",  # HAProxy serves another certificate (certificate_drift.py)
]

# A hand edit can be any size; the report keeps the start of each diff.
MAX_DIFF_LINES = 40


@dataclass(frozen=True)
class Difference:
    """One way a host differs from the expected revision."""

    host: str
    kind: DriftKind
    subject: str  # a file name, "pool/server", "haproxy" or "keepalived"
    expected: str
    actual: str
    diff: list[str] = field(default_factory=list)  # unified diff lines, secrets masked

    def summary(self) -> str:
        return f"{self.host}: {self.kind}: {self.subject}: expected {self.expected}, " + (
            f"found {self.actual}"
        )


@dataclass
class DriftReport:
    """Every difference between the hosts and the expected revision (empty: no drift)."""

    model_hash: str
    hosts: list[str]
    differences: list[Difference] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.differences)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model_hash": self.model_hash,
            "hosts": self.hosts,
            "drift": self.drifted,
            "differences": [asdict(d) for d in self.differences],
        }


def find_drift(
    model: LbModel,
    rendered: Rendered,
    probes: dict[str, HostProbe],
    status: EnvironmentStatus,
) -> DriftReport:
    """Return every difference between the hosts (files, runtime) and the model's rendering."""
    hosts = [h.host for h in rendered.hosts if h.host in probes]
    report = DriftReport(rendered.model_hash, hosts)
    live = {h.host: h for h in status.hosts}
    for host in hosts:
        probe = probes[host]
        if not probe.reachable:
            report.differences.append(
                Difference(host, "unreachable", "host", "reachable", probe.error or "no answer")
            )
            continue
        report.differences += file_drift(rendered, probe)
        host_status = live.get(host)
        if host_status is not None:
            report.differences += runtime_drift(model, host_status)
    return report


def file_drift(rendered: Rendered, probe: HostProbe) -> list[Difference]:
    """Return the host's files that differ from the rendering or are missing."""
    expected = {probe.host: rendered.host(probe.host).files}
    found: list[Difference] = []
    for d in diff_files(expected, {probe.host: probe.files}):
        if d.status == "unchanged":
            continue
        if probe.files.get(d.file) is None:
            found.append(Difference(probe.host, "file missing", d.file, "present", "missing"))
            continue
        lines = d.lines[:MAX_DIFF_LINES]
        if len(d.lines) > MAX_DIFF_LINES:
            lines.append(f"... {len(d.lines) - MAX_DIFF_LINES} more diff lines")
        # The diff reads as "host -> expected": + lines are what a deploy would put back.
        found.append(
            Difference(probe.host, "file changed", d.file, "the rendered file", "edited", lines)
        )
    return found


def runtime_drift(model: LbModel, host: HostStatus) -> list[Difference]:
    """Return daemons not running and servers whose runtime state differs from the model."""
    found: list[Difference] = []
    if not host.reachable:
        return [Difference(host.host, "unreachable", "host", "reachable", host.error)]
    if not host.haproxy_up:
        found.append(Difference(host.host, "daemon down", "haproxy", "running", "not answering"))
    if not host.keepalived_up:
        found.append(Difference(host.host, "daemon down", "keepalived", "running", "not running"))
    if not host.haproxy_up:
        return found  # no runtime state to compare
    running = {(s.pool, s.server): s for s in host.servers}
    pools = {p.name: p for p in model.pools}
    served = [pools[backend.name] for backend in haproxy_context(model, host.host).backends]
    expected = [(pool.name, server) for pool in served for server in pool.servers]
    for pool, server in expected:
        name = server.name
        state = running.get((pool, name))
        subject = f"{pool}/{name}"
        if state is None:
            found.append(Difference(host.host, "server missing", subject, "configured", "absent"))
            continue
        found += _server_drift(host.host, subject, server.state, server.weight, state)
    configured = {(pool, server.name) for pool, server in expected}
    # Server-template slots: DNS fills them (or leaves them in maintenance) at runtime.
    configured |= {
        (pool.name, slot)
        for pool in served
        for template in pool.server_templates
        for slot in template_slot_names(template)
    }
    for pool, name in running:
        if (pool, name) not in configured:
            found.append(
                Difference(host.host, "server unknown", f"{pool}/{name}", "absent", "running")
            )
    return found


def _server_drift(
    host: str, subject: str, wanted: str, weight: int, live: ServerState
) -> list[Difference]:
    # HAProxy's status says MAINT for admin maintenance (also "MAINT (via ...)") and DRAIN
    # for admin drain; weight 0 is draining too (a backup server at weight 0 still shows UP).
    # UP/DOWN/"no check" are health, which is status, not drift.
    status = live.status.upper()
    if "(RESOLUTION)" in status:
        return []  # no address from DNS yet: health, like DOWN, not a state someone set
    drained = "DRAIN" in status or live.weight == 0
    actual = "maint" if status.startswith("MAINT") else "drain" if drained else "ready"
    expected = "maint" if wanted == "maint" else "drain" if wanted == "drain" else "ready"
    found = []
    if actual != expected:
        found.append(
            Difference(host, "server state", subject, expected, f"{actual} ({live.status})")
        )
    if expected == "ready" and actual == "ready" and live.weight != weight:
        found.append(Difference(host, "server weight", subject, str(weight), str(live.weight)))
    return found


def collect_drift(
    model: LbModel, rendered: Rendered, inventory: Path, hosts: list[str] | None = None
) -> DriftReport:
    """Return the drift of the inventory's hosts from the model: probe files, ask runtime."""
    # Here, not at the top: finding drift in given facts (find_drift) needs no Ansible.
    from ..deploy import probe_hosts
    from .status import collect_status

    names = [h.host for h in rendered.hosts if not hosts or h.host in hosts]
    probes = probe_hosts(inventory, names)
    status = collect_status(inventory, names)
    report = find_drift(model, rendered, probes, status)
    report.differences += _served_certificates(rendered, inventory, status)
    return report


def _served_certificates(
    rendered: Rendered, inventory: Path, status: EnvironmentStatus
) -> list[Difference]:
    """Ask each host whose HAProxy answers which certificates it serves; compare them."""
    from .certificate_drift import ask_with_runtime, certificate_drift, expected_certificates

    up = {h.host for h in status.hosts if h.reachable and h.haproxy_up}
    expected = {h: found for h, found in expected_certificates(rendered).items() if h in up}
    if not any(expected.values()):
        return []
    try:
        ask, close = ask_with_runtime(inventory, sorted(expected))
    except Exception as exc:  # the inventory was read moments ago: this is rare
        reason = f"{type(exc).__name__}: {exc}"[:300]
        return [
            Difference(h, "certificate served", "runtime API", "reachable", reason)
            for h in sorted(expected)
        ]
    try:
        return certificate_drift(expected, ask)
    finally:
        close()
