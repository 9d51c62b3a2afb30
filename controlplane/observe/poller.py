"""Collect the hosts' status on a schedule, into the cache pages read, and feed the alerts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from .alerts import AlertEngine
from .cache import StatusCache

log = logging.getLogger(__name__)


# Drift costs two more read-only Ansible runs: checked every few rounds, not every round.
DRIFT_EVERY_ROUNDS = 4


class StatusPoller:
    """One thread: every `interval_s`, a fresh status for the inventory, then alerts.

    Every DRIFT_EVERY_ROUNDS rounds it also runs `drift_check` (when given), which raises
    or resolves the drift alert itself; every round, `certificate_check` (a store query)
    raises or resolves the certificate expiry alerts.
    """

    def __init__(
        self,
        cache: Callable[[], StatusCache],
        inventory: Path,
        engine: AlertEngine,
        interval_s: float,
        drift_check: Callable[[], object] | None = None,  # what it returns is not used
        certificate_check: Callable[[], object] | None = None,
    ) -> None:
        self.cache = cache  # looked up each round: tests may swap the app's cache
        self.inventory = inventory
        self.engine = engine
        self.interval_s = interval_s
        self.drift_check = drift_check
        self.certificate_check = certificate_check
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lbctl-status-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after the current round (a running collection finishes first)."""
        self._stop.set()
        self._thread.join(timeout_s)

    def poll_once(self) -> None:
        """Collect a fresh status and let the alert engine see it; errors are logged."""
        try:
            cached = self.cache().get(self.inventory, refresh=True)
            self.engine.observe(cached.status)
        except Exception:  # the next round tries again; the poller must not die
            log.exception("status poll of %s failed", self.inventory)
        if self.certificate_check:
            try:
                self.certificate_check()
            except Exception:
                log.exception("certificate expiry check failed")
        if self.drift_check and self.rounds % DRIFT_EVERY_ROUNDS == 0:
            try:
                self.drift_check()
            except Exception:
                log.exception("drift check of %s failed", self.inventory)
        self.rounds += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.interval_s)
