"""Backends answer load from the client namespace; load runs stop by themselves."""

from __future__ import annotations

import pytest

from controlplane.lab import Lab

pytestmark = pytest.mark.lab


def test_every_backend_serves_load_from_the_client_namespace(lab: Lab) -> None:
    runs = {b.name: lab.start_load(b.url, connections=4, duration=2) for b in lab.backends}
    for name, run in runs.items():
        report = run.result()
        assert report["failed"] == 0, report
        assert report["ok"] > 100
        assert report["backends"] == {name: report["ok"]}


def test_load_stops_at_max_requests(lab: Lab) -> None:
    report = lab.run_load(lab.backends[0].url, connections=4, duration=10, max_requests=200)
    assert report["requests"] == 200
    assert report["stopped_by"] == "max_requests"
    assert report["duration_s"] < 5


def test_a_stopped_backend_refuses_connections_until_started_again(lab: Lab) -> None:
    backend = lab.backends[-1]
    lab.stop_backend(backend.name)
    try:
        report = lab.run_load(backend.url, connections=1, duration=0.5, max_requests=10)
        assert report["ok"] == 0 and report["failed_connection"] == report["requests"] > 0
    finally:
        lab.start_backend(backend.name)
    assert lab.run_load(backend.url, connections=1, duration=0.5)["failed"] == 0


def test_probe_reports_no_outage_against_a_healthy_backend(lab: Lab) -> None:
    report = lab.run_probe(lab.backends[0].url, interval=0.01, duration=1)
    assert report["failed"] == 0
    assert report["outage_windows"] == []
    assert report["max_outage_s"] < 0.2
