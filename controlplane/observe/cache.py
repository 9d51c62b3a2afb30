"""The last collected status per inventory, kept briefly so pages do not each run Ansible."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .status import EnvironmentStatus, collect_status

Collector = Callable[[Path], EnvironmentStatus]


@dataclass(frozen=True)
class CachedStatus:
    status: EnvironmentStatus
    collected_at: float  # epoch seconds

    @property
    def age_s(self) -> float:
        return time.time() - self.collected_at


class StatusCache:
    """Collect at most once per `max_age_s` per inventory; concurrent callers share one run."""

    def __init__(self, collector: Collector = collect_status, max_age_s: float = 15.0) -> None:
        self.collector = collector
        self.max_age_s = max_age_s
        self._entries: dict[Path, CachedStatus] = {}
        self._locks: dict[Path, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(
        self, inventory: Path, refresh: bool = False, max_age_s: float | None = None
    ) -> CachedStatus:
        """Return a status no older than `max_age_s` (default: the cache's; fresh on `refresh`).

        Callers arriving while a collection runs wait for it and share its result.
        """
        oldest = self.max_age_s if max_age_s is None else min(max_age_s, self.max_age_s)
        with self._guard:
            lock = self._locks.setdefault(inventory, threading.Lock())
        asked_at = time.time()
        with lock:
            entry = self._entries.get(inventory)
            # A run that finished while we waited for the lock is fresh enough even for refresh.
            if entry and (entry.collected_at >= asked_at or (not refresh and entry.age_s < oldest)):
                return entry
            entry = CachedStatus(self.collector(inventory), time.time())
            self._entries[inventory] = entry
            return entry

    def latest(self, inventory: Path) -> CachedStatus | None:
        """Return the last status collected for the inventory, however old, without collecting."""
        return self._entries.get(inventory)
