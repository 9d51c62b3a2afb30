"""Prometheus metrics of the control plane: deploys from the store, hosts from the last status.

Deploy counts and durations are read from the deployments table at each scrape, so they
survive restarts and every replica answers the same. Host, VRRP and server gauges come from
the last collected status (a scrape never runs Ansible). Render durations are measured in
this process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..store import Deployment
from .alerts import Alert
from .cache import CachedStatus
from .certificates import CertificateExpiry, expiry_metrics

DEPLOY_BUCKETS = (5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
RENDER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
FINISHED = ("succeeded", "failed", "interrupted")
VRRP_STATES = ("MASTER", "BACKUP", "FAULT", "STOP")


@dataclass
class MetricSources:
    """Where the collector reads from; each is asked at scrape time."""

    sessions: sessionmaker[Session]
    latest_status: Callable[[], CachedStatus | None]
    firing_alerts: Callable[[], list[Alert]]
    deliveries: Callable[[], dict[str, int]]  # result -> count
    # The certificates in service, read from the store (observe/certificates.py).
    certificates: Callable[[], list[CertificateExpiry]] = list


class ControlPlaneCollector(Collector):
    """Yield the store's deploy metrics, the last status's gauges and the alert counts."""

    def __init__(self, sources: MetricSources) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        yield from deployment_metrics(self.sources.sessions)
        yield from status_metrics(self.sources.latest_status())
        yield from alert_metrics(self.sources.firing_alerts(), self.sources.deliveries())
        yield from expiry_metrics(self.sources.certificates())


def deployment_metrics(sessions: sessionmaker[Session]) -> Iterator[Metric]:
    """Return deploys by environment and result, their durations, and the last one's."""
    columns = (Deployment.environment, Deployment.state, Deployment.started_at)
    with sessions() as session:
        rows = session.execute(select(*columns, Deployment.finished_at)).all()
    counts: dict[tuple[str, str], int] = defaultdict(int)
    durations: dict[str, list[float]] = defaultdict(list)
    last: dict[str, tuple[datetime, float, str]] = {}
    for environment, state, started, finished in rows:
        counts[(environment, state)] += 1
        if state in FINISHED and started and finished:
            seconds = max(0.0, (finished - started).total_seconds())
            durations[environment].append(seconds)
            if environment not in last or finished > last[environment][0]:
                last[environment] = (finished, seconds, state)

    total = CounterMetricFamily(
        "lbctl_deployments",
        "Finished deployments by environment and result (from the store).",
        labels=["environment", "result"],
    )
    running = GaugeMetricFamily(
        "lbctl_deployments_in_progress",
        "Deployments queued or running.",
        labels=["environment"],
    )
    for environment in sorted({e for e, _ in counts}):
        for result in FINISHED:
            total.add_metric([environment, result], counts.get((environment, result), 0))
        busy = counts.get((environment, "queued"), 0) + counts.get((environment, "running"), 0)
        running.add_metric([environment], busy)
    yield total
    yield running
    yield _histogram(
        "lbctl_deploy_duration_seconds",
        "Duration of finished deployments, start to end (from the store).",
        durations,
        DEPLOY_BUCKETS,
    )
    last_seconds = GaugeMetricFamily(
        "lbctl_last_deploy_duration_seconds",
        "Duration of the environment's last finished deployment.",
        labels=["environment"],
    )
    last_ok = GaugeMetricFamily(
        "lbctl_last_deploy_succeeded",
        "1 when the environment's last finished deployment succeeded, else 0.",
        labels=["environment"],
    )
    last_at = GaugeMetricFamily(
        "lbctl_last_deploy_finished_timestamp_seconds",
        "When the environment's last deployment finished (Unix time).",
        labels=["environment"],
    )
    for environment, (finished, seconds, state) in sorted(last.items()):
        last_seconds.add_metric([environment], seconds)
        last_ok.add_metric([environment], 1 if state == "succeeded" else 0)
        last_at.add_metric([environment], _epoch(finished))
    yield from (last_seconds, last_ok, last_at)


def status_metrics(cached: CachedStatus | None) -> Iterator[Metric]:
    """Return the gauges of the last status; none before the first collection."""
    if cached is None:
        return
    status = cached.status
    collected = GaugeMetricFamily(
        "lbctl_status_collected_timestamp_seconds",
        "When the status below was collected (Unix time).",
    )
    collected.add_metric([], cached.collected_at)
    yield collected
    reachable = _gauge("lbctl_host_reachable", "1 when the host answered the last status.")
    haproxy = _gauge("lbctl_haproxy_up", "1 when HAProxy answered its runtime API.")
    keepalived = _gauge("lbctl_keepalived_up", "1 when keepalived runs.")
    vrrp = GaugeMetricFamily(
        "lbctl_vrrp_state",
        "1 for the VRRP state the host reports for the instance, 0 for the others.",
        labels=["instance", "host", "state"],
    )
    servers = GaugeMetricFamily(
        "lbctl_backend_server_up",
        "1 when the server is not DOWN or MAINT in the host's HAProxy (DRAIN counts as up).",
        labels=["pool", "server", "host"],
    )
    for host in status.hosts:
        reachable.add_metric([host.host], int(host.reachable))
        if not host.reachable:
            continue
        haproxy.add_metric([host.host], int(host.haproxy_up))
        keepalived.add_metric([host.host], int(host.keepalived_up))
        for instance in host.vrrp:
            for state in VRRP_STATES:
                vrrp.add_metric([instance.instance, host.host, state], int(instance.state == state))
        for server in host.servers:
            up = not server.down and not server.status.startswith("MAINT")
            servers.add_metric([server.pool, server.server, host.host], int(up))
    findings = GaugeMetricFamily(
        "lbctl_findings", "Status findings by severity.", labels=["severity"]
    )
    for severity in ("critical", "warning"):
        findings.add_metric([severity], sum(1 for f in status.findings if f.severity == severity))
    yield from (reachable, haproxy, keepalived, vrrp, servers, findings)


def alert_metrics(firing: list[Alert], deliveries: dict[str, int]) -> Iterator[Metric]:
    """Return the alerts firing by kind and the webhook deliveries by result."""
    by_kind = GaugeMetricFamily(
        "lbctl_alerts_firing", "Alerts firing now, by kind.", labels=["kind", "severity"]
    )
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for alert in firing:
        counted[(alert.kind, alert.severity)] += 1
    for (kind, severity), count in sorted(counted.items()):
        by_kind.add_metric([kind, severity], count)
    yield by_kind
    sent = CounterMetricFamily(
        "lbctl_alert_deliveries",
        "Alert deliveries to webhooks since this process started, by result.",
        labels=["result"],
    )
    for result, count in sorted(deliveries.items()):
        sent.add_metric([result], count)
    yield sent


class ControlPlaneMetrics:
    """The app's own registry (never prometheus_client's global one) and its render timer."""

    def __init__(self, sources: MetricSources) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(ControlPlaneCollector(sources))
        self.render_seconds = Histogram(
            "lbctl_render_duration_seconds",
            "Rendering and proving a revision's files (in this process).",
            buckets=RENDER_BUCKETS,
            registry=self.registry,
        )


def _gauge(name: str, documentation: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=["host"])


def _histogram(
    name: str,
    documentation: str,
    values: dict[str, list[float]],
    buckets: tuple[float, ...],
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=["environment"])
    for environment, seconds in sorted(values.items()):
        cumulative = [(_bound(b), float(sum(1 for s in seconds if s <= b))) for b in buckets] + [
            ("+Inf", float(len(seconds)))
        ]
        family.add_metric([environment], cumulative, sum(seconds))
    return family


def _bound(value: float) -> str:
    return repr(float(value))


def _epoch(when: datetime) -> float:
    # SQLite hands back naive datetimes; the store writes UTC.
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
