"""Certificate expiry: the Prometheus gauge and the certificate_expiring/expired alerts.

Both watch the certificates the hosts serve or will serve (store.files.
certificates_in_service): the version the last deployed revision uses, else the current
upload. An alert is a condition: it fires once when a certificate crosses the threshold
and is resolved when a renewed one is in service (or the certificate is gone).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily, Metric

from .alerts import AlertEngine

EXPIRING = "certificate_expiring"
EXPIRED = "certificate_expired"
DEFAULT_ALERT_DAYS = 14


@dataclass(frozen=True)
class CertificateExpiry:
    """What the metric and the alerts need of one certificate: never its text."""

    name: str
    not_after: datetime
    fingerprint_sha256: str

    def days_left(self, now: datetime) -> int:
        return (self.not_after - now).days


# Returns the certificates in service now (read from the store at each call).
InService = Callable[[], list[CertificateExpiry]]


def expiry_metrics(certificates: list[CertificateExpiry]) -> Iterator[Metric]:
    """Return lbctl_certificate_expiry_timestamp_seconds{name} of each certificate."""
    gauge = GaugeMetricFamily(
        "lbctl_certificate_expiry_timestamp_seconds",
        "When the certificate in service expires (its not-after, Unix time).",
        labels=["name"],
    )
    for certificate in certificates:
        gauge.add_metric([certificate.name], certificate.not_after.timestamp())
    yield gauge


class CertificateAlerts:
    """Fire and resolve the expiry alerts of the certificates in service."""

    def __init__(self, engine: AlertEngine, in_service: InService, alert_days: int) -> None:
        self.engine = engine
        self.in_service = in_service
        self.alert_days = alert_days
        self._watched: set[str] = set()
        self._lock = threading.Lock()

    def check(self, now: datetime | None = None) -> None:
        """Compare every certificate in service with the threshold; alert on the changes."""
        moment = now or datetime.now(UTC)
        certificates = self.in_service()
        names = {c.name for c in certificates}
        with self._lock:
            gone, self._watched = self._watched - names, names
        for name in gone:
            self._resolve(name, EXPIRED, "no longer in service")
            self._resolve(name, EXPIRING, "no longer in service")
        for certificate in certificates:
            self._check_one(certificate, moment)

    def _check_one(self, certificate: CertificateExpiry, now: datetime) -> None:
        subject = f"certificate {certificate.name}"
        day = certificate.not_after.strftime("%Y-%m-%d %H:%M UTC")
        if certificate.not_after <= now:
            self.engine.resolve(EXPIRING, subject, f"{subject} has expired")
            message = f"{subject} expired on {day}: renew it and deploy"
            self.engine.fire(EXPIRED, subject, message, "critical")
            return
        self._resolve(certificate.name, EXPIRED, f"{subject} is valid until {day}")
        days = certificate.days_left(now)
        if days < self.alert_days:
            message = (
                f"{subject} expires in {days} days, on {day} "
                f"(sha256 {certificate.fingerprint_sha256[:16]}...): renew it and deploy"
            )
            self.engine.fire(EXPIRING, subject, message, "warning")
        else:
            self._resolve(certificate.name, EXPIRING, f"{subject} is valid until {day}")

    def _resolve(self, name: str, kind: str, message: str) -> None:
        self.engine.resolve(kind, f"certificate {name}", message)
