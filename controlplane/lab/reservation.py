"""Holding the lab for one process (a test session, a benchmark) while it uses it.

Namespace names are global, so two test sessions on one machine would tear down each other's
lab. A holder keeps an exclusive flock on LABDIR/.in-use with its pid written inside:
other holders wait, and other processes' ``up()``/``down()`` refuse until it is released.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import LabError
from .topology import lab_dir

IN_USE_FILE = ".in-use"


class LabBusyError(LabError):
    """Another process holds the lab; ``holder`` is its pid when known."""

    def __init__(self, directory: Path, holder: int | None) -> None:
        who = f"pid {holder}" if holder else "another process"
        super().__init__(
            f"the lab in {directory} is in use by {who}; wait for it to finish or stop it"
        )
        self.holder = holder


def _holder(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def ensure_not_held_elsewhere(directory: Path) -> None:
    """Raise LabBusyError when a process other than this one holds the lab."""
    path = directory / IN_USE_FILE
    if not path.exists() or _holder(path) == os.getpid():
        return
    with open(path) as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LabBusyError(directory, _holder(path)) from None
        fcntl.flock(probe, fcntl.LOCK_UN)


@contextmanager
def reserved(directory: Path | None = None, timeout: float = 300.0) -> Iterator[None]:
    """Hold the lab while the block runs, waiting up to ``timeout`` s for another holder."""
    directory = lab_dir(directory).absolute()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / IN_USE_FILE
    deadline = time.monotonic() + timeout
    with open(path, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LabBusyError(directory, _holder(path)) from None
                time.sleep(0.2)
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
