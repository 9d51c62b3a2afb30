"""A bounded trickle of requests from the lab's client, re-armed in chunks while a demo runs.

Each chunk is one run of the load tool's probe mode per URL (one request every
``interval`` s on a new connection, so each lands where the balancer sends it), a child
process that stops by itself after ``chunk_s`` seconds or ``chunk_s / interval`` requests.
While the trickle is on, a new chunk follows each finished one; if its owner dies without
stopping it, the chunks running then are the last and end within ``chunk_s``.
"""

from __future__ import annotations

import json
import math
import subprocess
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType

from . import apps, load

INTERVAL_S = 0.2  # 5 requests a second per URL: visible per server, idle for the CPU
CHUNK_S = 30.0
MAX_URLS = 4
REQUEST_TIMEOUT_S = 1.0
# A chunk that fails at once (a URL nothing listens on) must not be restarted in a tight loop.
PAUSE_BETWEEN_CHUNKS_S = 0.5


@dataclass
class TrickleStats:
    """What the finished chunks sent: requests, answers 2xx, and which backend answered."""

    chunks: int = 0
    requests: int = 0
    ok: int = 0
    backends: Counter[str] = field(default_factory=Counter)
    last_error: str = ""


class Trickle:
    """Requests to ``urls`` (lab or loopback addresses only) from namespace ``client_ns``."""

    def __init__(
        self,
        client_ns: str,
        urls: Sequence[str],
        interval: float = INTERVAL_S,
        chunk_s: float = CHUNK_S,
    ) -> None:
        if not 1 <= len(urls) <= MAX_URLS:
            raise ValueError(f"a trickle sends to 1..{MAX_URLS} URLs, not {len(urls)}")
        for url in urls:
            load.parse_target(url)  # refuses anything outside the lab networks, before any run
        self.client_ns = client_ns
        self.urls = list(urls)
        self.interval = interval
        self.chunk_s = chunk_s
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._runs: list[subprocess.Popen[str]] = []
        self._stats = TrickleStats()
        self._thread = threading.Thread(target=self._loop, name="lbctl-lab-trickle", daemon=True)

    def chunk_argv(self, url: str) -> list[str]:
        """Return the command line of one chunk to ``url``: bounded in time and in requests."""
        max_requests = max(1, math.ceil(self.chunk_s / self.interval))
        return apps.in_namespace(
            self.client_ns,
            "controlplane.lab.load",
            "--url",
            url,
            "--probe-interval",
            str(self.interval),
            "--duration",
            str(self.chunk_s),
            "--max-requests",
            str(max_requests),
            "--timeout",
            str(REQUEST_TIMEOUT_S),
        )

    def start(self) -> Trickle:
        self._thread.start()
        return self

    def stop(self) -> TrickleStats:
        """Stop the running chunks (our children, by pid) and start no more; return the stats."""
        with self._lock:
            self._stopping.set()
            runs = list(self._runs)
        for run in runs:
            if run.poll() is None:
                run.terminate()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        for run in runs:
            if run.poll() is None:  # did not end on SIGTERM
                run.kill()
                run.wait()
        return self.stats()

    def stats(self) -> TrickleStats:
        with self._lock:
            return TrickleStats(
                self._stats.chunks,
                self._stats.requests,
                self._stats.ok,
                Counter(self._stats.backends),
                self._stats.last_error,
            )

    def __enter__(self) -> Trickle:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return
                self._runs = [self._spawn(url) for url in self.urls]
                runs = list(self._runs)
            for run in runs:
                self._collect(run)
            if self._stopping.wait(PAUSE_BETWEEN_CHUNKS_S):
                return

    def _spawn(self, url: str) -> subprocess.Popen[str]:
        # A session of its own: Ctrl-C in the terminal reaches the owner, which stops the
        # chunks itself, instead of each chunk printing a traceback.
        return subprocess.Popen(
            self.chunk_argv(url),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=apps.python_env(),
            start_new_session=True,
        )

    def _collect(self, run: subprocess.Popen[str]) -> None:
        try:
            out, err = run.communicate(timeout=self.chunk_s + 30)
        except subprocess.TimeoutExpired:
            run.kill()
            out, err = run.communicate()
            err = f"a chunk ran past {self.chunk_s + 30:.0f} s; killed it"
        with self._lock:
            if self._stopping.is_set():
                return  # stopped by us: a partial chunk reports nothing
            self._stats.chunks += 1
            if run.returncode != 0:
                lines = err.strip().splitlines()
                self._stats.last_error = lines[-1] if lines else f"exit code {run.returncode}"
                return
            report = json.loads(out)
            self._stats.requests += int(report["requests"])
            self._stats.ok += int(report["ok"])
            self._stats.backends.update(report.get("backends", {}))
