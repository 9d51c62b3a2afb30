"""Host-side helpers shared by lbctl's Ansible modules: atomic files, pids, the runtime API.

The runtime agent runs this file too: its program is this text followed by
controlplane/runtime/host_agent.py, sent as one `python3 -c` (see that module). So this
file uses only the standard library and keeps `from __future__` first, and the two files
define no name twice (tests/runtime/test_host_agent.py checks all three).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import time


class StepFailed(Exception):
    """A named deploy step failed; `step` is what the control plane reports to the user."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


def atomic_write(path: str, data: bytes, mode: int = 0o640) -> None:
    """Write `path` through a temporary file and a rename: readers see old or new, never half.

    An OSError (a full disk: ENOSPC) names `path`, and leaves `path` as it was.
    """
    folder = os.path.dirname(path) or "."
    temp = None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".lbctl-", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException as exc:
        if temp is not None and os.path.exists(temp):
            os.unlink(temp)
        if isinstance(exc, OSError) and exc.filename is None:
            # write() and fsync() errors name no file: say which one could not be written.
            raise OSError(exc.errno, exc.strerror, path) from exc
        raise


def atomic_copy(source: str, target: str, mode: int = 0o640) -> bool:
    """Copy `source` over `target` atomically; return False when it already held those bytes.

    Leaving an identical file alone lets a rollback succeed on a full disk: the failed
    install never replaced the file, so there is nothing to write back.
    """
    with open(source, "rb") as handle:
        data = handle.read()
    if read_bytes(target) == data:
        return False
    atomic_write(target, data, mode)
    return True


def begin_install(config_path: str, pending_path: str) -> None:
    """Mark `config_path` as about to change without its daemon having loaded it yet.

    The marker holds the file the daemon runs (the live one before the install) and is
    removed by `end_install` once the daemon was proven to run the new file, or was rolled
    back. Left behind by a deploy cut short between install and reload, it tells the next
    deploy's stage step that an identical live file is not what runs: reload it anyway,
    and roll back to the marker's copy. A marker that is already there is kept: its copy
    is still what runs. /run is the right place: after a reboot the daemon runs its file.
    """
    if os.path.exists(pending_path):
        return
    atomic_write(pending_path, read_bytes(config_path) or b"", 0o600)


def end_install(pending_path: str) -> None:
    """Remove the pending-reload marker: the daemon runs what its file says."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(pending_path)


def copy_if_exists(source: str, target: str) -> bool:
    """Copy `source` to `target` keeping its mode; return whether there was a source."""
    if not os.path.exists(source):
        return False
    shutil.copy2(source, target)
    return True


def read_bytes(path: str) -> bytes | None:
    """Return the content of `path`, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def pid_alive(pid_file: str, attempts: int = 5) -> bool:
    """Return whether the pid in `pid_file` is a running process.

    A daemon rewrites its pid file on a reload (truncate, then write): an empty read is
    retried briefly instead of being taken for a stopped daemon.
    """
    for attempt in range(attempts):
        try:
            with open(pid_file) as handle:
                pid = int(handle.read().split()[0])
        except FileNotFoundError:
            return False
        except (OSError, ValueError, IndexError):
            if attempt + 1 < attempts:
                time.sleep(0.1)
            continue
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return False


def runtime_command(sock_path: str, command: str, timeout: float = 2.0) -> str | None:
    """Return HAProxy's answer to one runtime API command, or None when nobody answers."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(sock_path)
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return None
    return b"".join(chunks).decode(errors="replace")


def wait_until(predicate, timeout: float, interval: float = 0.1):
    """Return the first truthy value of `predicate()` within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
