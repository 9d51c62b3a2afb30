"""Logins refused for too many failures: the page that says until when, audit and alert.

The counting itself is the store's (store.login_failures), shared by replicas.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from flask import flash, render_template
from sqlalchemy.orm import Session

from .. import store
from ..observe.alerts import send_event

log = logging.getLogger(__name__)


def refusal(lockout: store.Lockout) -> Any:
    """Return the login page saying what is locked and for how long: 429 with Retry-After."""
    seconds = lockout.seconds_left()
    minutes = math.ceil(seconds / 60)
    what = "this account" if lockout.scope == "account" else "your address"
    flash(
        f"Too many failed logins for {what}; try again in {minutes} "
        f"minute{'' if minutes == 1 else 's'}.",
        "error",
    )
    return render_template("login.html"), 429, {"Retry-After": str(seconds)}


def record(db: Session, started: list[store.Lockout], address: str) -> None:
    """Audit each lockout that has just started (`login.locked`), in the caller's transaction."""
    for lockout in started:
        detail = {
            "scope": lockout.scope,
            "lockout": lockout.number,
            "until": lockout.until.isoformat(timespec="seconds"),
        }
        name = (lockout.key[:64] if lockout.scope == "account" else "") or "?"
        actor = store.Actor(name, "", address)
        store.record_audit(db, actor, "login.locked", _subject(lockout), detail)


def alert(started: list[store.Lockout]) -> None:
    """Send a `login_locked` alert per lockout that has just started (after the commit)."""
    for lockout in started:
        minutes = math.ceil(lockout.seconds_left() / 60)
        message = (
            f"too many failed logins: {_subject(lockout)} is locked for {minutes} min "
            f"(lockout {lockout.number} in a row)"
        )
        try:
            send_event("login_locked", _subject(lockout), message, "warning")
        except Exception:  # a failing webhook queue must not turn a refusal into a 500
            log.exception("login_locked alert for %s failed", _subject(lockout))


def _subject(lockout: store.Lockout) -> str:
    return f"{lockout.scope} {lockout.key}"
