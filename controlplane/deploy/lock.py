"""A lock per environment, so two deploys never interleave."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_DIR = Path(os.environ.get("LBCTL_LOCK_DIR", "/tmp/lbctl-locks"))


class DeployLocked(Exception):
    """Another deploy holds the environment's lock."""


@contextmanager
def environment_lock(environment: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the environment's lock; wait up to wait_s for it, then raise DeployLocked."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    path = LOCK_DIR / f"{environment}.lock"
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another deploy"
                    raise DeployLocked(
                        f"environment {environment!r} is being deployed by {holder}; "
                        f"waited {wait_s:.0f}s (use --wait to wait longer)"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%H:%M:%S')}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
