"""The renewal schedule's alert: fired once while a renewal keeps failing, resolved on issue."""

from __future__ import annotations

from controlplane.observe.acme_renewal import RENEWAL_FAILING, AcmeRenewalSchedule, alert_on
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
