"""Counting failed logins in the store: windows, growing lockouts, forgetting, concurrency.

On SQLite and on PostgreSQL, as replicas share either.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from controlplane.store import (
    forget_login_failures,
    login_lockout,
    record_login_failure,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def fail(
    sessions: sessionmaker[Session], times: int, at: datetime, name: str = "alice"
) -> list[timedelta]:
    """Fail `name`'s login `times` times at `at`; return the length of each lockout started."""
    lengths = []
    with sessions.begin() as session:
        for i in range(times):
            for lockout in record_login_failure(session, name, f"192.0.2.{i}", now=at):
                lengths.append(lockout.until - at)
    return lengths


def test_each_lockout_of_a_name_lasts_twice_as_long_up_to_an_hour(sessions) -> None:
    lengths = []
    at = T0
    for _ in range(6):
        found = fail(sessions, 5, at)
        lengths += found
        at += found[0] + timedelta(seconds=1)  # the next run starts once the lockout ends
    assert [int(length.total_seconds() // 60) for length in lengths] == [5, 10, 20, 40, 60, 60]


def test_a_lockout_refuses_until_it_ends(sessions) -> None:
    fail(sessions, 5, T0)
    with sessions() as session:
        refused = login_lockout(session, "alice", "198.51.100.1", now=T0 + timedelta(minutes=4))
        assert refused is not None and refused.scope == "account"
        assert (
            login_lockout(session, "alice", "198.51.100.1", now=T0 + timedelta(minutes=5)) is None
        )


def test_failures_further_apart_than_15_minutes_do_not_lock(sessions) -> None:
    assert fail(sessions, 4, T0) == []
    assert fail(sessions, 4, T0 + timedelta(minutes=16)) == []


def test_a_successful_login_forgets_the_accounts_failures(sessions) -> None:
    fail(sessions, 4, T0)
    with sessions.begin() as session:
        forget_login_failures(session, "alice", now=T0)
    assert fail(sessions, 4, T0 + timedelta(minutes=1)) == []


def test_after_a_quiet_day_a_name_starts_again_from_the_shortest_lockout(sessions) -> None:
    fail(sessions, 5, T0)
    fail(sessions, 5, T0 + timedelta(minutes=6))  # second lockout: 10 min
    later = T0 + timedelta(hours=25)
    assert fail(sessions, 5, later) == [timedelta(minutes=5)]


def test_failures_at_the_same_moment_are_each_counted(sessions) -> None:
    """Ten requests failing at once: one UPDATE each counts from the stored number, so
    exactly two lockouts start, never fewer (lost updates) nor an error."""
    ready = threading.Barrier(10, timeout=10)
    started: list[int] = []
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            ready.wait()
            with sessions.begin() as session:
                found = record_login_failure(session, "alice", f"203.0.113.{index}")
            started.extend(lockout.number for lockout in found)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(started) == [1, 2]
