"""When a certificate is due, and how long a failed renewal waits before the next try."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlplane.acme import RenewalState, next_attempt, renewal_due, renewal_time

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_90_day_certificate_is_renewed_at_day_60() -> None:
    end = START + timedelta(days=90)
    assert renewal_time(START, end) == START + timedelta(days=60)
    assert not renewal_due(START, end, START + timedelta(days=59, hours=23))
    assert renewal_due(START, end, START + timedelta(days=60))


def test_failures_back_off_exponentially_up_to_six_hours() -> None:
    delays = [next_attempt(n, START) - START for n in (1, 2, 3, 4, 10, 50)]
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert delays[4:] == [timedelta(hours=6), timedelta(hours=6)]


def test_a_renewal_is_failing_after_three_failures_in_a_row() -> None:
    state = RenewalState()
    for _ in range(2):
        state = state.failed("timeout", START)
    assert not state.failing and not state.may_try(START)
    state = state.failed("timeout", START)
    assert state.failing and state.may_try(START + timedelta(minutes=4))
