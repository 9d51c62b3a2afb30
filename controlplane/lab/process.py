"""Start, find and stop lab processes by pid: never by name, never beyond what we record."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import LabCommandError, LabError

# Written in front of every daemon: record our own pid, then become the daemon (exec keeps it).
_PID_SHIM = 'echo $$ > "$0" && exec "$@"'


@dataclass(frozen=True)
class ProcessRef:
    """A process we started, identified by pid plus start time so a reused pid never matches."""

    pid: int
    start_time: int
    role: str

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "start_time": self.start_time, "role": self.role}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ProcessRef:
        return cls(int(str(data["pid"])), int(str(data["start_time"])), str(data["role"]))


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """Return the process start time in clock ticks after boot, or None if it is gone."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def is_running(pid: int) -> bool:
    """Return whether ``pid`` exists and is not a zombie."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def ref_for(pid: int, role: str) -> ProcessRef | None:
    """Return a reference to a running ``pid`` labelled ``role``, or None if it is gone."""
    started = start_time(pid)
    return ProcessRef(pid, started, role) if started is not None and is_running(pid) else None


def is_alive(ref: ProcessRef) -> bool:
    """Return whether the very process ``ref`` names is still running."""
    return start_time(ref.pid) == ref.start_time and is_running(ref.pid)


def read_pid_file(path: Path) -> int | None:
    """Return the pid in a pid file, or None when the file is missing or holds no number."""
    try:
        text = path.read_text().split()
    except OSError:
        return None
    return int(text[0]) if text and text[0].isdigit() else None


def spawn_daemon(
    argv: list[str], role: str, pid_file: Path, log_file: Path, env: dict[str, str] | None = None
) -> ProcessRef:
    """Start ``argv`` detached in its own session; return its reference (read from ``pid_file``).

    ``setsid -f`` detaches the daemon from us, so it is never our zombie and survives a crashed
    caller; the pid file is how we learn its pid (the shim writes it, then execs ``argv``).
    """
    pid_file.unlink(missing_ok=True)
    command = ["setsid", "-f", "sh", "-c", _PID_SHIM, str(pid_file), *argv]
    with open(log_file, "ab") as log:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, check=False
        )
    if done.returncode != 0:
        raise LabCommandError(command, done.returncode, "", f"see {log_file}")
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        pid = read_pid_file(pid_file)
        ref = ref_for(pid, role) if pid else None
        if ref is not None:
            return ref
        time.sleep(0.005)
    raise LabError(f"{role}: no running process 5 s after start; see {log_file}")


def terminate(refs: Iterable[ProcessRef], grace: float = 1.5) -> list[ProcessRef]:
    """SIGTERM every live process in ``refs``, SIGKILL those left after ``grace`` seconds.

    Returns the processes still alive at the end (normally none).
    """
    live = {ref.pid: ref for ref in refs if is_alive(ref)}
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
        for ref in live.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(ref.pid, sig)
        deadline = time.monotonic() + wait
        while live and time.monotonic() < deadline:
            live = {pid: ref for pid, ref in live.items() if is_alive(ref)}
            time.sleep(0.02)
        if not live:
            return []
    return list(live.values())


def all_pids() -> list[int]:
    """Return every pid currently in /proc."""
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
