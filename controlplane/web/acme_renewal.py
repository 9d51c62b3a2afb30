"""`lbctl serve` renews the environment's due ACME certificates on a schedule.

The schedule (observe/acme_renewal.py) runs the renewal use case every
LBCTL_ACME_INTERVAL seconds as the `system` actor and raises or resolves the
`certificate_renewal_failing` alert through the app's alert engine and webhooks.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from .. import store
from ..observe.acme_renewal import AcmeRenewalSchedule, RenewalOutcome
from ..observe.alerts import AlertEngine
from ..usecases.acme import renew_certificates
from .config import WebSettings

ACME_KEY = "lbctl.acme_renewal"


def start_acme_schedule(
    app: Flask, settings: WebSettings, sessions: sessionmaker[Session], engine: AlertEngine
) -> AcmeRenewalSchedule:
    """Start the renewal thread for the app's environment; kept in app.extensions."""

    def renew_due() -> list[RenewalOutcome]:
        try:
            return list(
                renew_certificates(sessions, settings.environment, settings.inventory, store.SYSTEM)
            )
        except store.NotFound:  # no revision stored yet: nothing to renew
            return []

    schedule = AcmeRenewalSchedule(renew_due, engine, settings.acme_interval_s)
    app.extensions[ACME_KEY] = schedule
    schedule.start()
    return schedule
