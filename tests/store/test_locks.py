"""The store-wide deploy lock: replicas sharing PostgreSQL never deploy one environment twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from controlplane.store import StoreLocked, deploy_lock

ON_POSTGRES = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@ON_POSTGRES
def test_a_second_holder_is_refused_while_the_first_deploys(engine: Engine) -> None:
    with deploy_lock(engine, "prod"):
        with pytest.raises(StoreLocked) as refused, deploy_lock(engine, "prod"):
            pass
        assert "'prod'" in str(refused.value)
        with deploy_lock(engine, "staging"):  # another environment is free
            pass
    with deploy_lock(engine, "prod"):  # released at the end of the first
        pass


@ON_POSTGRES
def test_a_waiting_holder_gets_the_lock_when_the_first_finishes(engine: Engine) -> None:
    release = threading.Event()
    held = threading.Event()

    def first() -> None:
        with deploy_lock(engine, "prod"):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    assert held.wait(5)
    threading.Timer(0.5, release.set).start()
    with deploy_lock(engine, "prod", wait_s=10):
        pass
    thread.join(5)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_stores_need_no_database_lock(engine: Engine) -> None:
    # SQLite is one machine's file: the deploy file lock already covers it.
    with deploy_lock(engine, "prod"), deploy_lock(engine, "prod"):
        pass
