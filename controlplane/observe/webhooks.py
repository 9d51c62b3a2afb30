"""Deliver alerts to webhooks as JSON: one queue and thread per URL, bounded retries.

The caller (poller, request, deploy thread) only enqueues, so a slow or dead webhook never
blocks it, and one dead webhook never delays the others.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from .alerts import Alert

log = logging.getLogger(__name__)
QUEUE_LIMIT = 1000  # alerts waiting per webhook; beyond it new ones are dropped (and logged)
RECORD_LIMIT = 200  # deliveries remembered for the metrics and for tests


@dataclass(frozen=True)
class Delivery:
    """What happened to one alert at one webhook."""

    alert: Alert
    url: str
    attempts: int
    delivered: bool
    error: str = ""


def shown_url(url: str) -> str:
    """Return the URL without credentials, path or query (they may hold a secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


class WebhookSender:
    """POST each alert to every URL; retry with exponential backoff up to `attempts` times."""

    def __init__(
        self,
        urls: list[str],
        attempts: int = 4,
        backoff_s: float = 1.0,
        timeout_s: float = 5.0,
    ) -> None:
        self.urls = list(urls)
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.deliveries: deque[Delivery] = deque(maxlen=RECORD_LIMIT)
        self.dropped = 0
        self.delivered = 0
        self.failed = 0
        self._stop = threading.Event()
        self._queues = {url: queue.Queue[Alert | None](QUEUE_LIMIT) for url in self.urls}
        self._threads = [
            threading.Thread(target=self._work, args=(url,), name="lbctl-webhook", daemon=True)
            for url in self.urls
        ]
        for thread in self._threads:
            thread.start()

    def __call__(self, alert: Alert) -> None:
        """Queue the alert for every webhook; never blocks."""
        for url, waiting in self._queues.items():
            try:
                waiting.put_nowait(alert)
            except queue.Full:
                self.dropped += 1
                log.warning("webhook %s: queue full, alert %s dropped", shown_url(url), alert.kind)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the delivery threads (a retry in progress gives up)."""
        self._stop.set()
        for waiting in self._queues.values():
            with contextlib.suppress(queue.Full):  # a full queue wakes its thread anyway
                waiting.put_nowait(None)
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _work(self, url: str) -> None:
        waiting = self._queues[url]
        while not self._stop.is_set():
            alert = waiting.get()
            if alert is None:
                return
            delivery = self._send(url, alert)
            self.deliveries.append(delivery)
            if delivery.delivered:
                self.delivered += 1
            else:
                self.failed += 1

    def _send(self, url: str, alert: Alert) -> Delivery:
        error = ""
        for attempt in range(1, self.attempts + 1):
            try:
                answer = requests.post(url, json=alert.as_json(), timeout=self.timeout_s)
                if answer.status_code < 300:
                    return Delivery(alert, url, attempt, True)
                error = f"HTTP {answer.status_code}"
            except requests.RequestException as exc:
                error = type(exc).__name__
            if attempt < self.attempts and self._stop.wait(self.backoff_s * 2 ** (attempt - 1)):
                break
        log.warning(
            "webhook %s: alert %s %s not delivered after %d attempts: %s",
            shown_url(url),
            alert.kind,
            alert.state,
            attempt,
            error,
        )
        return Delivery(alert, url, attempt, False, error)
