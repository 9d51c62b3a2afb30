"""When an ACME certificate is due for renewal, and when to try again after a failure.

A certificate is renewed once two thirds of its lifetime have passed (a 90-day certificate
at day 60: a month of margin for failures). A failed try waits twice as long as the one
before, from one minute up to six hours, so a broken CA or DNS is not hammered, and a fix
is noticed within hours. After `FAILING_AFTER` failures in a row the renewal is "failing"
and the `certificate_renewal_failing` alert fires.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

RENEW_AT_FRACTION = 2 / 3
FIRST_RETRY = datetime.timedelta(minutes=1)
MAX_RETRY = datetime.timedelta(hours=6)
FAILING_AFTER = 3


@dataclass(frozen=True)
class RenewalState:
    """A certificate's renewal record: failures in a row, the last error, the next try."""

    failures: int = 0
    last_error: str = ""
    next_attempt_at: datetime.datetime | None = None

    @property
    def failing(self) -> bool:
        return self.failures >= FAILING_AFTER

    def failed(self, error: str, now: datetime.datetime) -> RenewalState:
        """Return the state after one more failed try at `now`."""
        failures = self.failures + 1
        return RenewalState(failures, error, next_attempt(failures, now))

    def may_try(self, now: datetime.datetime) -> bool:
        """Return whether the backoff after the last failure has run out."""
        return self.next_attempt_at is None or now >= self.next_attempt_at


def renewal_time(not_before: datetime.datetime, not_after: datetime.datetime) -> datetime.datetime:
    """Return the moment two thirds of the certificate's lifetime have passed."""
    return not_before + (not_after - not_before) * RENEW_AT_FRACTION


def renewal_due(
    not_before: datetime.datetime, not_after: datetime.datetime, now: datetime.datetime
) -> bool:
    """Return whether a certificate valid from `not_before` to `not_after` is due at `now`."""
    return now >= renewal_time(not_before, not_after)


def next_attempt(failures: int, now: datetime.datetime) -> datetime.datetime:
    """Return when to try again after `failures` failed tries in a row (exponential backoff)."""
    if failures <= 0:
        return now
    delay = min(MAX_RETRY, FIRST_RETRY * 2 ** min(failures - 1, 20))
    return now + delay
