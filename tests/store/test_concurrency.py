"""Two people saving on the same base revision at once: exactly one wins, never a merge."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from controlplane.model import LbModel
from controlplane.store import Revision, StaleRevision, revisions, save_revision


def _writers(
    sessions: sessionmaker[Session], model: LbModel, count: int, base: int
) -> list[int | StaleRevision]:
    """Return, per writer thread, the number it saved or the StaleRevision it got."""
    outcomes: list[int | StaleRevision] = []
    lock = threading.Lock()

    def write(index: int) -> None:
        with sessions() as session:
            try:
                saved = save_revision(session, "prod", model, f"writer{index}", "race", base)
                session.commit()
                outcome: int | StaleRevision = saved.number
            except StaleRevision as refused:
                outcome = refused
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _first_revision(sessions: sessionmaker[Session], model: LbModel) -> None:
    with sessions() as session:
        save_revision(session, "prod", model, "alice", "initial", None)
        session.commit()


def _numbers(sessions: sessionmaker[Session]) -> list[tuple[int, int | None]]:
    with sessions() as session:
        rows = session.execute(select(Revision.number, Revision.parent_id).order_by(Revision.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_writers_that_both_saw_the_same_head_get_one_success_and_one_stale(
    sessions, example_model, monkeypatch
):
    """Both writers pass the "is my base the newest?" check before either inserts, so
    only the database's unique (environment, number) constraint can decide."""
    _first_revision(sessions, example_model)
    both_read = threading.Barrier(2, timeout=10)
    seen = threading.local()
    reads: list[str] = []
    real: Callable[[Session, str], Revision | None] = revisions.current_revision

    def current_then_wait(session: Session, environment: str) -> Revision | None:
        reads.append(environment)
        head = real(session, environment)
        if not getattr(seen, "waited", False):
            seen.waited = True
            both_read.wait()
        return head

    monkeypatch.setattr(revisions, "current_revision", current_then_wait)
    outcomes = _writers(sessions, example_model, 2, base=1)

    assert sorted(o for o in outcomes if isinstance(o, int)) == [2]
    [stale] = [o for o in outcomes if isinstance(o, StaleRevision)]
    assert (stale.base, stale.current) == (1, 2)
    assert [number for number, _ in _numbers(sessions)] == [1, 2]
    assert len(reads) == 3  # the loser looked again after its insert collided


def test_many_concurrent_writers_on_one_base_leave_one_linear_chain(sessions, example_model):
    _first_revision(sessions, example_model)

    outcomes = _writers(sessions, example_model, 8, base=1)

    assert [o for o in outcomes if isinstance(o, int)] == [2]
    assert all(o.current == 2 for o in outcomes if isinstance(o, StaleRevision))
    numbers = _numbers(sessions)
    assert [number for number, _ in numbers] == [1, 2]
