"""Failed logins per account name and per client address, and the lockouts they cause.

A run of failures locks the name (or the address) for a while, and each further lockout
of the same key lasts twice as long. The counts live in the store, so replicas sharing it
share them. Callers check `login_lockout` before the password: a locked attempt then
costs one indexed read instead of a scrypt hash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .tables import ACTOR_LENGTH, LoginFailures, UtcDateTime, utc_now


@dataclass(frozen=True)
class ThrottleRule:
    """How many failures within `window` lock a key, and for how long."""

    scope: str  # "account" or "address"
    max_failures: int
    window: timedelta
    first_lockout: timedelta
    longest_lockout: timedelta

    def lockout_length(self, number: int) -> timedelta:
        """Return how long the key's `number`th lockout (1, 2, ...) lasts: doubling, capped."""
        return min(self.first_lockout * 2 ** min(number - 1, 16), self.longest_lockout)


# 5 failures within 15 min lock a name for 5 min, then 10, 20, 40 and at most 60 min.
ACCOUNT = ThrottleRule(
    "account", 5, timedelta(minutes=15), timedelta(minutes=5), timedelta(hours=1)
)
# One address may be a whole office behind NAT, trying many names: ten times the budget.
ADDRESS = ThrottleRule(
    "address", 50, timedelta(minutes=15), timedelta(minutes=5), timedelta(hours=1)
)
# A key without a failure for this long starts again from its first, shortest lockout.
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Lockout:
    """A name or an address refused until `until`; `number` counts its lockouts (1, 2, ...)."""

    scope: str
    key: str
    until: datetime
    number: int

    def seconds_left(self, now: datetime | None = None) -> int:
        """Return the whole seconds until the lockout ends (at least 1)."""
        return max(1, math.ceil((self.until - (now or utc_now())).total_seconds()))


def login_lockout(
    session: Session, name: str, address: str, now: datetime | None = None
) -> Lockout | None:
    """Return the lockout that refuses a login as `name` from `address` now, or None."""
    now = now or utc_now()
    keys = [
        and_(LoginFailures.scope == r.scope, LoginFailures.key == k)
        for r, k in _keys(name, address)
    ]
    rows = session.scalars(
        select(LoginFailures).where(or_(*keys), LoginFailures.locked_until > now)
    ).all()
    if not rows:
        return None
    row = max(rows, key=lambda r: r.locked_until or now)
    return Lockout(row.scope, row.key, row.locked_until or now, row.lockouts)


def record_login_failure(
    session: Session, name: str, address: str, now: datetime | None = None
) -> list[Lockout]:
    """Count a failed login against the name and the address; return the lockouts it starts."""
    now = now or utc_now()
    started = [_count(session, rule, key, now) for rule, key in _keys(name, address)]
    return [lockout for lockout in started if lockout is not None]


def forget_login_failures(session: Session, name: str, now: datetime | None = None) -> None:
    """A login as `name` succeeded: forget its failures, and those of keys quiet for a day."""
    now = now or utc_now()
    session.execute(
        delete(LoginFailures).where(
            LoginFailures.scope == ACCOUNT.scope, LoginFailures.key == _account_key(name)
        )
    )
    session.execute(
        delete(LoginFailures).where(
            LoginFailures.last_failure_at < now - FORGET_AFTER,
            or_(LoginFailures.locked_until.is_(None), LoginFailures.locked_until < now),
        )
    )


def _keys(name: str, address: str) -> list[tuple[ThrottleRule, str]]:
    # Always the account first: concurrent requests then take row locks in one order.
    return [(ACCOUNT, _account_key(name)), (ADDRESS, address[:ACTOR_LENGTH] or "unknown")]


def _account_key(name: str) -> str:
    return name[:ACTOR_LENGTH]


def _count(session: Session, rule: ThrottleRule, key: str, now: datetime) -> Lockout | None:
    """Count one failure against the key; lock it when the window holds too many."""
    row = LoginFailures
    this_key = (row.scope == rule.scope, row.key == key)
    window_over = row.window_started_at < now - rule.window
    # One UPDATE computes the new count from the stored one: two requests counting at
    # once cannot both read 4 and both write 5 (the row stays locked until commit).
    count = (
        update(row)
        .where(*this_key)
        .values(
            failures=case((window_over, 1), else_=row.failures + 1),
            window_started_at=case(
                (window_over, literal(now, UtcDateTime())), else_=row.window_started_at
            ),
            lockouts=case((row.last_failure_at < now - FORGET_AFTER, 0), else_=row.lockouts),
            last_failure_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if session.execute(count).rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(
                    LoginFailures(
                        scope=rule.scope,
                        key=key,
                        failures=1,
                        window_started_at=now,
                        last_failure_at=now,
                        lockouts=0,
                    )
                )
        except IntegrityError:  # another request counted this key's first failure meanwhile
            session.execute(count)
    found = session.scalars(
        select(row).where(*this_key).execution_options(populate_existing=True)
    ).one()
    if found.failures < rule.max_failures:
        return None
    found.lockouts += 1
    found.locked_until = now + rule.lockout_length(found.lockouts)
    found.failures, found.window_started_at = 0, now
    session.flush()
    return Lockout(rule.scope, key, found.locked_until, found.lockouts)
