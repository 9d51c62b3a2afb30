"""Host-side helpers shared by lbctl's Ansible modules: atomic files, pids, the runtime API."""

from __future__ import annotations

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
    """Write `path` through a temporary file and a rename: readers see old or new, never half."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".lbctl-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def atomic_copy(source: str, target: str, mode: int = 0o640) -> None:
    """Copy `source` over `target` atomically (same folder temporary, then rename)."""
    with open(source, "rb") as handle:
        atomic_write(target, handle.read(), mode)


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
