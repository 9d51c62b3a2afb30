"""Holding the lab for one process (a test session, a benchmark) while it uses it.

Namespace names are global, so two test sessions on one machine would tear down each other's
lab. A holder keeps an exclusive flock on LABDIR/.in-use with its pid written inside:
other holders wait, and other processes' ``up()``/``down()`` refuse until it is released.
A holder may ``lend`` the lab to a process it started (a test running ``lbctl demo``): the
pid inside names the borrower, whose ``reserved()`` and ``up()``/``down()`` then go ahead.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

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


def _take(handle: IO[str], path: Path, deadline: float) -> bool:
    """Return True once this process took the lab's lock, False when it holds it already.

    "Already" means through another open file (a nested ``reserved``) or lent by its holder;
    a pid left in the file by a crashed holder does not count: its lock died with it.
    """
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        if _holder(path) == os.getpid():
            return False
        if time.monotonic() >= deadline:
            raise LabBusyError(path.parent, _holder(path))
        time.sleep(0.2)


@contextmanager
def reserved(directory: Path | None = None, timeout: float = 300.0) -> Iterator[None]:
    """Hold the lab while the block runs, waiting up to ``timeout`` s for another holder.

    A process that holds the lab already, or was lent it, goes ahead at once.
    """
    directory = lab_dir(directory).absolute()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / IN_USE_FILE
    with open(path, "a+") as handle:
        if not _take(handle, path, time.monotonic() + timeout):
            yield  # whoever holds the lock for us releases it
            return
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def lend(pid: int, directory: Path | None = None) -> Iterator[None]:
    """Let process ``pid`` use the lab this process holds while the block runs.

    For a holder that starts a lab user as a child (a test running ``lbctl demo``): the child
    can neither wait for the holder, which waits for it, nor take the lab over. Raises
    LabError when this process does not hold the lab.
    """
    path = lab_dir(directory).absolute() / IN_USE_FILE
    if _holder(path) != os.getpid():
        raise LabError(
            f"pid {os.getpid()} cannot lend the lab in {path.parent}: it does not hold it"
        )
    path.write_text(f"{pid}\n")
    try:
        yield
    finally:
        path.write_text(f"{os.getpid()}\n")
