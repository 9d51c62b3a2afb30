"""Bounded HTTP load and failover probing against lab addresses only; results as one JSON object.

    python3 -m controlplane.lab.load --url http://198.18.0.100/ --connections 16 \\
        --duration 10 --max-requests 200000
    python3 -m controlplane.lab.load --url http://198.18.0.100/ --probe-interval 0.01 --duration 10

Every run stops by itself at ``duration`` seconds or ``max_requests`` requests, whichever first.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import signal
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..observe.outage import OutageTracker

# Traffic may only go to the lab range and loopback (kept here, not imported, so this file
# also runs on its own by path).
ALLOWED_NETWORKS = (
    ipaddress.IPv4Network("198.18.0.0/15"),
    ipaddress.IPv4Network("127.0.0.0/8"),
)
MAX_DURATION_S = 600.0
MAX_REQUESTS = 10_000_000
MAX_CONNECTIONS = 1024
MAX_WINDOWS_REPORTED = 100
# After a refused or reset connection, pause briefly so a dead target doesn't burn the budget.
ERROR_PAUSE_S = 0.005


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str
    tls: bool = False  # https: the lab's own certificates, not verified (availability only)


def _connect(target: Target, timeout: float) -> http.client.HTTPConnection:
    if not target.tls:
        return http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # Load measures whether requests are served (a certificate rotated under it must not
    # fail one); who signed the lab's throwaway certificates is the tests' own check.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=context)


def parse_target(url: str) -> Target:
    """Return the host, port and path of ``url``; refuse anything outside the lab networks."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r}: only http(s)://ADDRESS[:PORT]/PATH URLs are supported")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        raise ValueError(f"{url!r}: the host must be an IP address, not a name") from None
    if not any(address in network for network in ALLOWED_NETWORKS):
        allowed = ", ".join(str(network) for network in ALLOWED_NETWORKS)
        raise ValueError(f"{url!r}: {address} is outside the lab networks ({allowed})")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    tls = parts.scheme == "https"
    return Target(str(address), parts.port or (443 if tls else 80), path, tls)


def _check_bounds(duration: float, max_requests: int) -> None:
    if not 0 < duration <= MAX_DURATION_S:
        raise ValueError(f"duration={duration}: must be in (0, {MAX_DURATION_S}] seconds")
    if not 1 <= max_requests <= MAX_REQUESTS:
        raise ValueError(f"max_requests={max_requests}: must be in 1..{MAX_REQUESTS}")


class _Budget:
    """The shared request count: workers take one ticket per request until none are left."""

    def __init__(self, total: int) -> None:
        self._left = total
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


@dataclass
class _Tally:
    """One worker's counts; merged after the run so workers never contend on a lock."""

    ok: int = 0
    failed_connection: int = 0
    failed_status: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    backends: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def add_response(self, status: int, backend: str | None, latency_ms: float) -> None:
        self.latencies_ms.append(latency_ms)
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if 200 <= status < 300:
            self.ok += 1
            if backend:
                self.backends[backend] = self.backends.get(backend, 0) + 1
        else:
            self.failed_status += 1

    def merge(self, other: _Tally) -> None:
        self.ok += other.ok
        self.failed_connection += other.failed_connection
        self.failed_status += other.failed_status
        for mine, theirs in ((self.statuses, other.statuses), (self.backends, other.backends)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        self.latencies_ms.extend(other.latencies_ms)


def _request(conn: http.client.HTTPConnection, target: Target) -> tuple[int, str | None]:
    conn.request("GET", target.path, headers={"User-Agent": "lbctl-lab-load"})
    response = conn.getresponse()
    response.read()
    if response.will_close:
        conn.close()
    return response.status, response.getheader("X-Backend")


def _load_worker(
    target: Target, deadline: float, budget: _Budget, timeout: float, tally: _Tally
) -> None:
    conn = _connect(target, timeout)
    while time.monotonic() < deadline and not _finish.is_set() and budget.take():
        started = time.perf_counter()
        try:
            status, backend = _request(conn, target)
        except (OSError, http.client.HTTPException):
            tally.failed_connection += 1
            conn.close()  # the next request reconnects
            time.sleep(ERROR_PAUSE_S)
            continue
        tally.add_response(status, backend, (time.perf_counter() - started) * 1000)
    conn.close()


def _percentiles(latencies_ms: list[float]) -> dict[str, float | None]:
    if not latencies_ms:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(latencies_ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": round(ordered[-1], 3)}


def run_load(
    url: str,
    connections: int = 16,
    duration: float = 10.0,
    max_requests: int = 200_000,
    timeout: float = 2.0,
) -> dict:
    """Return counts and latencies of ``connections`` keep-alive clients hammering ``url``."""
    target = parse_target(url)
    _check_bounds(duration, max_requests)
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise ValueError(f"connections={connections}: must be in 1..{MAX_CONNECTIONS}")
    budget = _Budget(max_requests)
    tallies = [_Tally() for _ in range(connections)]
    started = time.monotonic()
    deadline = started + duration
    workers = [
        threading.Thread(
            target=_load_worker, args=(target, deadline, budget, timeout, tally), daemon=True
        )
        for tally in tallies
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        # Each worker ends by the deadline plus at most one request timeout.
        worker.join(timeout=max(0.0, deadline - time.monotonic()) + timeout + 5.0)
    elapsed = time.monotonic() - started
    total = _Tally()
    for tally in tallies:
        total.merge(tally)
    requests = total.ok + total.failed_connection + total.failed_status
    return {
        "mode": "load",
        "url": url,
        "connections": connections,
        "duration_s": round(elapsed, 3),
        "requests": requests,
        "ok": total.ok,
        "failed": total.failed_connection + total.failed_status,
        "failed_connection": total.failed_connection,
        "failed_status": total.failed_status,
        "statuses": total.statuses,
        "backends": total.backends,
        "requests_per_s": round(requests / elapsed, 1) if elapsed > 0 else None,
        "latency_ms": _percentiles(total.latencies_ms),
        "stopped_by": _stopped_by(requests >= max_requests),
    }


def _probe_once(target: Target, timeout: float) -> tuple[bool, str | None]:
    # A new connection every time: a failover must be visible, not hidden by a kept socket.
    conn = _connect(target, timeout)
    try:
        status, backend = _request(conn, target)
    except (OSError, http.client.HTTPException):
        return False, None
    finally:
        conn.close()
    return 200 <= status < 300, backend


# Set by SIGUSR1 (`LoadRun.finish()`): the run stops at once and still prints its report, so
# a test whose action is done need not wait out the whole bounded window.
_finish = threading.Event()


def run_probe(
    url: str,
    interval: float = 0.01,
    duration: float = 10.0,
    max_requests: int = 100_000,
    timeout: float = 0.2,
) -> dict:
    """Return the longest gap between successful answers of ``url``, probed every ``interval``."""
    target = parse_target(url)
    _check_bounds(duration, max_requests)
    started = time.monotonic()
    deadline = started + duration
    outage = OutageTracker(started, MAX_WINDOWS_REPORTED)
    tally = _Tally()
    sent = 0
    while sent < max_requests and time.monotonic() < deadline and not _finish.is_set():
        sent += 1
        tick = time.monotonic()
        ok, backend = _probe_once(target, timeout)
        now = time.monotonic()
        if ok:
            tally.add_response(200, backend, (now - tick) * 1000)
            outage.ok(now)
        else:
            tally.failed_connection += 1
            outage.failed()
        _finish.wait(max(0.0, min(tick + interval, deadline) - time.monotonic()))
    ended = time.monotonic()
    return {
        "mode": "probe",
        "url": url,
        "interval_s": interval,
        "timeout_s": timeout,
        "duration_s": round(ended - started, 3),
        "requests": sent,
        "ok": tally.ok,
        "failed": sent - tally.ok,
        "backends": tally.backends,
        **outage.report(ended),
        "latency_ms": _percentiles(tally.latencies_ms),
        "stopped_by": _stopped_by(sent >= max_requests),
    }


def _stopped_by(budget_spent: bool) -> str:
    return "max_requests" if budget_spent else "finished" if _finish.is_set() else "duration"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bounded HTTP load / failover probe (lab only)")
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds (hard stop)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard stop")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="per-request timeout in seconds (default 2, probe 0.2)",
    )
    parser.add_argument(
        "--probe-interval",
        type=float,
        default=None,
        help="probe mode: one request per interval, new connection each time",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGUSR1, lambda *_: _finish.set())
    try:
        if args.probe_interval is not None:
            result = run_probe(
                args.url,
                args.probe_interval,
                args.duration,
                args.max_requests,
                args.timeout if args.timeout is not None else 0.2,
            )
        else:
            result = run_load(
                args.url,
                args.connections,
                args.duration,
                args.max_requests,
                args.timeout if args.timeout is not None else 2.0,
            )
    except ValueError as error:
        print(f"lbctl lab load: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
