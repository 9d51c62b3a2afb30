"""Per-client limits on the API calls that cost CPU: validate, render, plan, status.

Each of them may validate, render and prove a whole model (seconds at 50,000 servers) or
collect status over SSH, and a viewer token is enough to call them. So every client (its
API token's user, or its address without one) gets:

- a budget of EXPENSIVE_PER_MINUTE calls, refilled continuously, with bursts up to
  EXPENSIVE_BURST: past it the answer is 429 with Retry-After;
- at most EXPENSIVE_CONCURRENT calls running at once: one client cannot hold every
  worker thread while others wait. Status is exempt: parallel calls share one
  collection (`shared=True`), so they cost one.

The counts live in this process: each replica limits on its own.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, g, request

from .auth import api_error

F = TypeVar("F", bound=Callable[..., Any])

EXPENSIVE_PER_MINUTE = 30
EXPENSIVE_BURST = 10
EXPENSIVE_CONCURRENT = 2
_EXTENSION = "lbctl.request_limits"
_MAX_CLIENTS = 10_000  # forget idle clients beyond this many


@dataclass
class _Client:
    tokens: float
    refilled: float
    running: int = 0


@dataclass
class ExpensiveCallLimits:
    """The budgets of every client of this process."""

    per_minute: float = EXPENSIVE_PER_MINUTE
    burst: int = EXPENSIVE_BURST
    concurrent: int = EXPENSIVE_CONCURRENT
    _clients: dict[str, _Client] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self, client: str, shared: bool = False) -> float | None:
        """Return None when the call may run (release it after), or seconds to wait."""
        now = time.monotonic()
        with self._lock:
            found = self._clients.get(client)
            if found is None:
                self._forget_idle()
                found = self._clients[client] = _Client(float(self.burst), now)
            rate = self.per_minute / 60.0
            found.tokens = min(float(self.burst), found.tokens + (now - found.refilled) * rate)
            found.refilled = now
            if found.running >= self.concurrent and not shared:
                return 1.0
            if found.tokens < 1.0:
                return (1.0 - found.tokens) / rate if rate > 0 else 60.0
            found.tokens -= 1.0
            found.running += 1
            return None

    def release(self, client: str) -> None:
        with self._lock:
            found = self._clients.get(client)
            if found is not None:
                found.running = max(0, found.running - 1)

    def _forget_idle(self) -> None:
        if len(self._clients) < _MAX_CLIENTS:
            return
        for name in [n for n, c in self._clients.items() if c.running == 0]:
            del self._clients[name]


def limits() -> ExpensiveCallLimits:
    found = current_app.extensions.get(_EXTENSION)
    if found is None:
        found = current_app.extensions[_EXTENSION] = ExpensiveCallLimits()
    return found


def expensive(shared: bool = False) -> Callable[[F], F]:
    """Limit an API view per client; put it under `token_required` (it names the client).

    shared=True: parallel calls share one run of the work, so only the rate is limited.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            api_user = g.get("api_user")
            client = f"user:{api_user.name}" if api_user else f"addr:{request.remote_addr}"
            budget = limits()
            wait = budget.acquire(client, shared)
            if wait is not None:
                return _too_many(budget, wait)
            try:
                return view(*args, **kwargs)
            finally:
                budget.release(client)

        return wrapped  # type: ignore[return-value]

    return decorate


def _too_many(budget: ExpensiveCallLimits, wait: float) -> Any:
    seconds = max(1, math.ceil(wait))
    body, status = api_error(
        429,
        f"too many validate/render/plan/status calls from this client; retry in {seconds} s "
        f"(at most {budget.per_minute:g} a minute, {budget.concurrent} at once)",
    )
    body.headers["Retry-After"] = str(seconds)
    return body, status
