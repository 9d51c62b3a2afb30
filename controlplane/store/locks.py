"""A deploy lock shared by every control-plane replica that uses the same PostgreSQL store.

The file lock of `controlplane.deploy.lock` only covers one machine; replicas on several
machines meet in the database, so there the lock is a PostgreSQL advisory lock held on a
connection of its own for the whole deploy (the server drops it if the replica dies).
With SQLite the store is one machine's file and the file lock is already enough.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from .errors import StoreLocked


def lock_key(environment: str) -> int:
    """Return the signed 64-bit advisory-lock key of an environment's deploys."""
    digest = hashlib.sha256(f"lbctl-deploy:{environment}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def deploy_lock(engine: Engine, environment: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the environment's store-wide deploy lock; raise StoreLocked after `wait_s`."""
    if engine.dialect.name != "postgresql":
        yield
        return
    key = lock_key(environment)
    deadline = time.monotonic() + wait_s
    with engine.connect() as connection:
        while not connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            connection.rollback()
            if time.monotonic() >= deadline:
                raise StoreLocked(environment, wait_s)
            time.sleep(0.2)
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            connection.commit()
