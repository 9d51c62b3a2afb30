"""Probe a VIP while something happens to it: the client-visible outage, measured.

One HTTP request per interval on a new connection (a kept socket would hide a failover),
bounded by a request count and a time limit, stopped early on request. Runs in this
process (`LocalProbe`) or, as this module's `main`, in another network namespace (the
lab's client: controlplane/lab/probe.py). Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import sys
import threading
import time
from typing import Any, Protocol
from urllib.parse import urlsplit

from .outage import OutageTracker

MAX_WINDOWS_REPORTED = 20


class ProbeRun(Protocol):
    def stop(self) -> dict[str, Any]:
        """Stop probing and return the report."""
        ...


class ProbeStarter(Protocol):
    def start(self, max_seconds: float) -> ProbeRun: ...


def probe_once(host: str, port: int, path: str, timeout: float) -> bool:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        return 200 <= response.status < 300
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def run_probe(
    url: str,
    stop: threading.Event,
    interval: float = 0.02,
    timeout: float = 0.3,
    max_seconds: float = 120.0,
    max_requests: int = 20_000,
) -> dict[str, Any]:
    """Return the longest gap between successful answers of `url` until `stop` or a bound."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"probe URL must be http://HOST[:PORT]/PATH, got {url!r}")
    host, port, path = parts.hostname, parts.port or 80, parts.path or "/"
    started = time.monotonic()
    outage = OutageTracker(started, MAX_WINDOWS_REPORTED)
    sent = ok = 0
    while sent < max_requests and time.monotonic() - started < max_seconds and not stop.is_set():
        tick = time.monotonic()
        sent += 1
        if probe_once(host, port, path, timeout):
            ok += 1
            outage.ok(time.monotonic())
        else:
            outage.failed()
        stop.wait(max(0.0, tick + interval - time.monotonic()))
    ended = time.monotonic()
    return {
        "url": url,
        "interval_s": interval,
        "duration_s": round(ended - started, 3),
        "requests": sent,
        "ok": ok,
        "failed": sent - ok,
        **outage.report(ended),
    }


class _ThreadRun:
    def __init__(self, url: str, interval: float, max_seconds: float) -> None:
        self._stop = threading.Event()
        self._report: dict[str, Any] = {}
        self._thread = threading.Thread(
            target=lambda: self._report.update(
                run_probe(url, self._stop, interval, max_seconds=max_seconds)
            ),
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join(timeout=5)
        return self._report


class LocalProbe:
    """Probe `url` from this process (where the control plane runs)."""

    def __init__(self, url: str, interval: float = 0.02) -> None:
        self.url, self.interval = url, interval

    def start(self, max_seconds: float) -> ProbeRun:
        return _ThreadRun(self.url, self.interval, max_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="probe a VIP until SIGTERM or a bound")
    parser.add_argument("--url", required=True)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    report = run_probe(
        args.url, stop, args.interval, max_seconds=args.max_seconds, max_requests=args.max_requests
    )
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
