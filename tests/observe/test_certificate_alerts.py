"""The certificate expiry alerts as conditions: fired once, resolved by a renewal or removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlplane.observe.alerts import Alert, AlertEngine
from controlplane.observe.certificates import CertificateAlerts, CertificateExpiry

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def watch(certificates: list[CertificateExpiry]) -> tuple[CertificateAlerts, list[Alert]]:
    sent: list[Alert] = []
    engine = AlertEngine("prod", sent.append)
    return CertificateAlerts(engine, lambda: list(certificates), alert_days=14), sent


def expiring(name: str, days: float) -> CertificateExpiry:
    return CertificateExpiry(name, NOW + timedelta(days=days), "AB" * 32)


def test_a_certificate_gone_from_service_resolves_its_alert() -> None:
    certificates = [expiring("site", 3)]
    alerts, sent = watch(certificates)
    alerts.check(NOW)
    certificates.clear()
    alerts.check(NOW)
    assert [(a.kind, a.state, a.message) for a in sent] == [
        ("certificate_expiring", "firing", sent[0].message),
        ("certificate_expiring", "resolved", "no longer in service"),
    ]


def test_expiring_turns_into_expired_and_each_is_sent_once() -> None:
    alerts, sent = watch([expiring("site", 1)])
    alerts.check(NOW)
    alerts.check(NOW)
    alerts.check(NOW + timedelta(days=2))
    assert [(a.kind, a.state, a.severity) for a in sent] == [
        ("certificate_expiring", "firing", "warning"),
        ("certificate_expiring", "resolved", "warning"),
        ("certificate_expired", "firing", "critical"),
    ]
