"""Run one call and say how it ended, how much CPU time and memory it took (Linux).

Time is the call's CPU time, not the wall clock: the budget bounds what a request costs the
server, and a wall clock would also count whatever else the machine runs (the suite's other
worker, a busy CI host) -- under such load a 2 s refusal measured 8.5 s.

`measured` runs in this process; `isolated` runs in a forked child with hard limits a
little past the budget, for input that might exhaust memory or crash the interpreter:
the test then fails quickly instead of taking the whole run down.
"""

from __future__ import annotations

import faulthandler
import gc
import math
import os
import pickle
import resource
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from controlplane.errors import FieldError, ModelInvalid

SECONDS = 5.0  # of CPU time
# Wall-clock backstop for a call that waits instead of computing (it never should).
WALL_CLOCK_LIMIT_S = 60
MEGABYTES = 200.0


@dataclass(frozen=True)
class Verdict:
    """How a call ended: refused (errors), or `other` ("accepted", an exception, a signal)."""

    errors: list[FieldError] | None
    other: str | None
    seconds: float  # CPU time of the call
    megabytes: float  # growth of the peak resident set size during the call

    @property
    def within_budget(self) -> bool:
        return self.seconds < SECONDS and self.megabytes < MEGABYTES

    def __str__(self) -> str:
        ending = "refused: " + "; ".join(map(str, self.errors)) if self.errors else self.other
        return f"{ending} ({self.seconds:.2f} s, {self.megabytes:.0f} MB)"


def measured(call: Callable[[], object]) -> Verdict:
    """Return how `call` ended, run here."""
    _reset_peak_rss()
    rss_before = _status_kb("VmRSS")
    started = time.process_time()
    errors: list[FieldError] | None = None
    other: str | None = None
    try:
        call()
        other = "accepted"
    except ModelInvalid as exc:
        errors = exc.errors
    except Exception as exc:
        other = f"{type(exc).__name__}: {exc}"[:500]
    seconds = time.process_time() - started
    megabytes = max(0, _status_kb("VmHWM") - rss_before) / 1024
    return Verdict(errors, other, seconds, megabytes)


def isolated(call: Callable[[], object]) -> Verdict:
    """Return how `call` ended in a forked child, stopped a little past the budget.

    The child is killed at the end of its CPU budget (SIGPROF) and its address space is capped
    a little past its memory budget, so a runaway call fails fast (killed, MemoryError
    or an abort) instead of slowing the run or swapping this machine.
    """
    read_end, write_end = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            # The call's cost, not the test worker's heap: a collection in the child would
            # walk every object the worker built before the fork (and copy their pages).
            # Measured: 3.1 s of CPU from a small process, 3.7 s beside 3 million objects,
            # 2.5 s with them frozen.
            gc.freeze()
            os.close(read_end)
            faulthandler.disable()  # an abort at the memory cap is an answer, not news
            signal.signal(signal.SIGALRM, signal.SIG_DFL)  # not pytest-timeout's handler
            signal.signal(signal.SIGPROF, signal.SIG_DFL)
            signal.setitimer(signal.ITIMER_PROF, SECONDS)
            signal.alarm(WALL_CLOCK_LIMIT_S)
            cap = (_status_kb("VmSize") * 1024) + int(1.5 * MEGABYTES * 2**20)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            payload = pickle.dumps(measured(call))
        except BaseException as exc:
            payload = pickle.dumps(Verdict(None, f"{type(exc).__name__}: {exc}", 0.0, 0.0))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if payload:
        return pickle.loads(payload)
    seconds = time.monotonic() - started
    return Verdict(None, f"child ended without an answer: {_describe(status)}", seconds, math.inf)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _reset_peak_rss() -> None:
    # Writing 5 resets VmHWM to the current RSS (Linux >= 4.0). Where that is not allowed
    # the peak only counts growth past the process's earlier peak: a lower bound.
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise LookupError(field)
