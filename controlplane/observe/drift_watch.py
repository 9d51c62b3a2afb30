"""The environment's drift, checked against the last deployed revision and kept briefly.

The poller checks it every few rounds and the dashboard shows it: both read the same
report, so a page load does not cost two more Ansible runs when a fresh one exists.
A check raises or resolves the `drift_found` alert.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..model import LbModel
from ..model.config_files import FileContents
from ..render import render_model
from .drift import DriftReport, collect_drift

# The last deployed revision's number, model and stored files, or None when nothing was
# deployed yet.
DeployedModel = Callable[[], tuple[int, LbModel, FileContents | None] | None]

# Long enough to span the poller's drift cadence (every 4th 15 s round).
MAX_AGE_S = 75.0


class DriftWatch:
    """The last drift report of one environment, refreshed on demand."""

    def __init__(
        self,
        deployed_model: DeployedModel,
        environment: str,
        inventory: Path,
        engine: Any,
        max_age_s: float = MAX_AGE_S,
    ) -> None:
        self.deployed_model = deployed_model  # given by the layer that reads the store
        self.environment = environment
        self.inventory = inventory
        self.engine = engine  # the AlertEngine
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._last: tuple[float, int, DriftReport] | None = None  # (when, revision, report)

    def report(self, refresh: bool = False) -> tuple[int, DriftReport] | None:
        """Return (deployed revision number, report), checking again when stale or asked.

        None when nothing was deployed yet.
        """
        with self._lock:
            last = self._last
        if not refresh and last and time.monotonic() - last[0] < self.max_age_s:
            return last[1], last[2]
        return self.check()

    def check(self) -> tuple[int, DriftReport] | None:
        """Compare the hosts with the last deployed revision now; fire or resolve the alert."""
        deployed = self.deployed_model()
        if deployed is None:
            return None
        number, model, contents = deployed
        report = collect_drift(model, render_model(model, contents), self.inventory)
        if report.drifted:
            summary = "; ".join(d.summary() for d in report.differences[:5])
            self.engine.fire("drift_found", self.environment, summary, "warning")
        else:
            self.engine.resolve("drift_found", self.environment, "no drift")
        with self._lock:
            self._last = (time.monotonic(), number, report)
        return number, report
