"""The admin app's SSH channels to the LB hosts, kept open between runtime changes."""

from __future__ import annotations

import atexit
import threading

from flask import current_app

from ..runtime import ChannelPool

_KEY = "lbctl.runtime_channels"
_lock = threading.Lock()


def runtime_channels() -> ChannelPool:
    """Return the app's ChannelPool, made on first use and closed when the process exits."""
    with _lock:
        pool = current_app.extensions.get(_KEY)
        if pool is None:
            pool = current_app.extensions[_KEY] = ChannelPool()
            atexit.register(pool.close)
        return pool
