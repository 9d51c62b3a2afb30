"""The demo's trickle of traffic: lab addresses only, bounded chunks, re-armed until stopped."""

from __future__ import annotations

import time

import pytest

from controlplane.lab import Lab
from controlplane.lab.process import is_running
from controlplane.lab.trickle import Trickle


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://192.0.2.1:8080/", "http://lb/"])
def test_a_trickle_refuses_urls_outside_the_lab(url: str) -> None:
    with pytest.raises(ValueError):
        Trickle("lbctl-client", [url])


def test_each_chunk_stops_by_itself_in_time_and_in_requests() -> None:
    trickle = Trickle("lbctl-client", ["http://198.18.0.100/"], interval=0.2, chunk_s=30)
    argv = trickle.chunk_argv("http://198.18.0.100/")
    assert argv[:4] == ["ip", "netns", "exec", "lbctl-client"]
    assert argv[argv.index("--duration") + 1] == "30"
    assert argv[argv.index("--max-requests") + 1] == "150"


@pytest.mark.lab
def test_a_trickle_runs_chunk_after_chunk_until_stopped(lab: Lab) -> None:
    backend = lab.backends[0]
    trickle = Trickle(lab.client_ns, [backend.url], interval=0.05, chunk_s=0.5).start()
    try:
        deadline = time.monotonic() + 30
        while trickle.stats().chunks < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        running = list(trickle._runs)
    finally:
        stats = trickle.stop()
    assert stats.chunks >= 2, stats
    assert stats.ok > 0 and stats.ok == stats.requests, stats
    assert dict(stats.backends) == {backend.name: stats.ok}
    assert not any(is_running(run.pid) for run in running)
