"""Pause Python's cyclic garbage collector while a request handles a whole model document.

A whole-document call (PUT /model, POST /validate, /render, /plan) parses a 5.5 MB body at
50,000 servers, and it stays alive for the whole request. Each young collection during
the request found the body's objects alive and moved them on, until they reached the
oldest generation, where every few requests they triggered a full collection: a walk of
every object the process holds, the revision cache's validated models and renderings
included. Measured on the 50,000-server model (benchmarks/web_scale.py's app, 16 PUTs in a
row): 3 full collections of 0.2-0.3 s each, PUT's CPU time 165 ms median, 201 ms mean, 432
ms at worst. With the collector paused during each request, the body is freed by
reference counting before any collection sees it: no full collection, 126 / 138 / 176 ms.

Reference counting frees everything that is not a cycle while paused; cycles a request
makes are collected after it, as the collector runs again as soon as no paused request is
in flight. Requests overlap (waitress' threads): the collector is paused from the first
paused request in and resumed when the last one is out. The paused calls take an
operator's token (PUT) or are `expensive` (at most a few at a time per client,
request_limits.py), so they do not follow one another without a gap for long.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
_in_flight = 0
_resume = False  # whether the collector was enabled when the first paused request came in


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector until every paused block running has ended."""
    global _in_flight, _resume
    with _lock:
        if _in_flight == 0:
            _resume = gc.isenabled()
            gc.disable()
        _in_flight += 1
    try:
        yield
    finally:
        with _lock:
            _in_flight -= 1
            if _in_flight == 0 and _resume:
                gc.enable()


def pauses_collection(view: F) -> F:
    """Decorate a view that handles a whole model document (see the module's docstring)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with collection_paused():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
