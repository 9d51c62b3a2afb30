"""Waiting for a condition in the lab, for tests and benchmarks alike."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], object], seconds: float, interval: float = 0.05) -> bool:
    """Return True as soon as `condition()` holds, False when `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
