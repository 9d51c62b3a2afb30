"""The load tool only ever sends traffic to lab or loopback addresses (no root needed)."""

from __future__ import annotations

import sys
import time

import pytest

from controlplane.lab import load
from controlplane.lab.lab import LoadRun


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/", "http://192.0.2.1:8080/", "http://example.com/", "ftp://198.18.0.20/"],
)
def test_load_refuses_urls_outside_the_lab(url: str) -> None:
    with pytest.raises(ValueError):
        load.parse_target(url)


@pytest.mark.parametrize(
    "url", ["http://198.18.0.100/", "http://198.19.255.1:81/x", "http://127.0.0.1/"]
)
def test_load_accepts_lab_and_loopback_urls(url: str) -> None:
    assert load.parse_target(url).host == url.split("/")[2].split(":")[0]


@pytest.mark.parametrize(("duration", "max_requests"), [(0, 10), (601, 10), (1, 0)])
def test_load_refuses_unbounded_runs(duration: float, max_requests: int) -> None:
    with pytest.raises(ValueError):
        load.run_load("http://127.0.0.1:9/", duration=duration, max_requests=max_requests)


@pytest.mark.parametrize("mode", [["--probe-interval", "0.01"], ["--connections", "2"]])
def test_a_run_finished_early_stops_at_once_and_still_reports(mode: list[str]) -> None:
    # Port 9 (discard) on loopback refuses at once: every request fails, none leaves the host.
    argv = [sys.executable, "-m", "controlplane.lab.load", "--url", "http://127.0.0.1:9/"]
    run = LoadRun([*argv, *mode, "--duration", "60", "--max-requests", "100000"], 75)
    # Sending from when its handler is in; a fixed sleep from the start raced Python's start
    # under CI load (0 requests by then).
    assert run.wait_until_running(30)
    time.sleep(0.3)
    started = time.monotonic()
    report = run.finish()
    assert time.monotonic() - started < 10
    assert report["stopped_by"] == "finished"
    assert report["requests"] >= 1
