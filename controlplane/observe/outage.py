"""The client-visible outage of a probe: gaps between successful answers. Standard library.

Shared by the lab's failover probe (`controlplane.lab.load`) and the drill's VIP probe
(`controlplane.observe.vip_probe`), so both report outages the same way.
"""

from __future__ import annotations

from typing import Any


class OutageTracker:
    """Feed it each probe's outcome; `report()` gives the longest gap and every window."""

    def __init__(self, started: float, max_windows: int) -> None:
        self.started = started
        self.max_windows = max_windows
        self.last_ok = started
        self.failing = 0  # failed probes since the last success
        self.max_gap = 0.0
        self.windows: list[dict[str, Any]] = []

    def ok(self, now: float) -> None:
        self.max_gap = max(self.max_gap, now - self.last_ok)
        if self.failing:
            self.windows.append(self._window(now))
        self.last_ok, self.failing = now, 0

    def failed(self) -> None:
        self.failing += 1

    def report(self, ended: float) -> dict[str, Any]:
        """Return the outage fields; an outage still going at `ended` counts, marked open."""
        max_gap, windows = self.max_gap, list(self.windows)
        if self.failing:
            max_gap = max(max_gap, ended - self.last_ok)
            windows.append(self._window(ended) | {"open": True})
        return {
            "max_outage_s": round(max_gap, 3),
            "outage_windows": windows[: self.max_windows],
            "outage_windows_total": len(windows),
        }

    def _window(self, next_ok: float) -> dict[str, Any]:
        return {
            "start_s": round(self.last_ok - self.started, 3),
            "end_s": round(next_ok - self.started, 3),
            "duration_s": round(next_ok - self.last_ok, 3),
            "failed_requests": self.failing,
        }
