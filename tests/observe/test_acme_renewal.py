"""The renewal schedule's alert: fired once while a renewal keeps failing, resolved on issue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlplane.observe.acme_renewal import (
    RENEWAL_FAILING,
    AcmeRenewalSchedule,
    alert_on,
    next_wait,
)
from controlplane.observe.alerts import Alert, AlertEngine
from controlplane.usecases.acme import AcmeOutcome


def engine() -> tuple[AlertEngine, list[Alert]]:
    sent: list[Alert] = []
    return AlertEngine("prod", sent.append), sent


def failed(failures: int) -> AcmeOutcome:
    return AcmeOutcome(
        "www", "failed", "the ACME server could not validate www.example.com: connection refused",
        failures=failures, failing=failures >= 3,
    )  # fmt: skip


def test_the_alert_fires_once_when_a_renewal_keeps_failing_and_resolves_on_issue() -> None:
    alerts, sent = engine()
    for failures in (1, 2):
        alert_on(alerts, [failed(failures)])
    assert sent == []  # two failures: backing off, not yet "failing"
    alert_on(alerts, [failed(3)])
    alert_on(alerts, [failed(4)])
    [fired] = sent
    assert (fired.kind, fired.subject, fired.state, fired.severity) == (
        RENEWAL_FAILING, "www", "firing", "warning",
    )  # fmt: skip
    assert "failed 3 times in a row" in fired.message and "www.example.com" in fired.message
    alert_on(alerts, [AcmeOutcome("www", "issued", "issued serial 1f")])
    assert [(a.state, a.subject) for a in sent] == [("firing", "www"), ("resolved", "www")]


def test_certificates_not_due_or_backing_off_change_no_alert() -> None:
    alerts, sent = engine()
    alert_on(
        alerts, [AcmeOutcome("www", "not_due", "not due"), AcmeOutcome("a", "backing_off", "")]
    )
    assert sent == []


def test_a_round_that_raises_is_logged_and_the_schedule_goes_on() -> None:
    alerts, _ = engine()

    def broken() -> list:
        raise RuntimeError("store unreachable")

    schedule = AcmeRenewalSchedule(broken, alerts, 3600)
    assert schedule.run_once() == [] and schedule.rounds == 1


def test_a_failed_renewal_brings_the_next_round_forward_to_its_retry() -> None:
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    retry = AcmeOutcome("www", "failed", "timeout", failures=1, retry_at=now + timedelta(minutes=2))
    assert next_wait([retry], 3600, now) == 120
    assert next_wait([AcmeOutcome("www", "not_due", "")], 3600, now) == 3600
    soon = AcmeOutcome("www", "failed", "x", failures=1, retry_at=now + timedelta(seconds=1))
    assert next_wait([soon], 3600, now) == 30  # never a busy loop
    late = AcmeOutcome("www", "backing_off", "", failures=8, retry_at=now + timedelta(hours=6))
    assert next_wait([late], 3600, now) == 3600
