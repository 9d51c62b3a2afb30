"""The server's ACME renewal schedule, and the `certificate_renewal_failing` alert.

Every `interval_s` (LBCTL_ACME_INTERVAL, an hour by default) the schedule asks the renewal
use case to do what is due: a certificate not due costs one store read, so the check is
cheap. The backoff after a failure lives in the store (acme/renewal.py); the schedule only
wakes up earlier when a failed certificate's next try comes before the next round.
A certificate whose renewal failed FAILING_AFTER times in a row fires the alert through
the existing engine and webhooks; it is resolved by the next successful issue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from .alerts import AlertEngine

log = logging.getLogger(__name__)

RENEWAL_FAILING = "certificate_renewal_failing"
DEFAULT_INTERVAL_S = 3600.0
MIN_WAIT_S = 30.0  # between rounds, however soon a retry is due


class RenewalOutcome(Protocol):
    """What the schedule reads of one certificate's turn (usecases/acme.py's AcmeOutcome)."""

    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def failures(self) -> int: ...
    @property
    def failing(self) -> bool: ...
    @property
    def retry_at(self) -> datetime | None: ...


# Runs the renewals that are due now and returns one outcome per ACME certificate.
RenewDue = Callable[[], list[RenewalOutcome]]


def alert_on(engine: AlertEngine, outcomes: list[RenewalOutcome]) -> None:
    """Fire the alert for each failing renewal; resolve it for each certificate issued."""
    for outcome in outcomes:
        if outcome.failing:
            message = (
                f"renewal of certificate {outcome.name} failed {outcome.failures} times in a "
                f"row: {outcome.message}"
            )
            engine.fire(RENEWAL_FAILING, outcome.name, message[:500], "warning")
        elif outcome.status in ("issued", "served"):
            engine.resolve(RENEWAL_FAILING, outcome.name, f"renewed: {outcome.message}"[:500])


class AcmeRenewalSchedule:
    """One thread: renew what is due, then alert, every `interval_s` (first run at start)."""

    def __init__(self, renew_due: RenewDue, engine: AlertEngine, interval_s: float) -> None:
        self.renew_due = renew_due
        self.engine = engine
        self.interval_s = interval_s
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lbctl-acme-renewal", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after the current round (a running order finishes first)."""
        self._stop.set()
        self._thread.join(timeout_s)

    def run_once(self) -> list[RenewalOutcome]:
        """Renew what is due and alert; errors are logged (the next round tries again)."""
        outcomes: list[RenewalOutcome] = []
        try:
            outcomes = self.renew_due()
            alert_on(self.engine, outcomes)
        except Exception:  # the schedule must not die
            log.exception("ACME renewal round failed")
        self.rounds += 1
        return outcomes

    def _run(self) -> None:
        while not self._stop.is_set():
            outcomes = self.run_once()
            self._stop.wait(next_wait(outcomes, self.interval_s, datetime.now(UTC)))


def next_wait(outcomes: list[RenewalOutcome], interval_s: float, now: datetime) -> float:
    """Return the seconds until the next round: the interval, or sooner for a due retry.

    So the backoff after a failure (1 min, 2, 4, ...) is what spaces retries, not the
    hour between rounds.
    """
    retries = [o.retry_at for o in outcomes if o.retry_at is not None]
    if not retries:
        return interval_s
    soonest = (min(retries) - now).total_seconds()
    return max(MIN_WAIT_S, min(interval_s, soonest))
