"""/api/v1/status under parallel callers: one Ansible run, shared, and a recent result reused."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from controlplane.observe import EnvironmentStatus
from controlplane.observe.cache import StatusCache

from ..web.conftest import bearer
from ..web.ui_support import fake_status


def slow_counted_status(calls: list[float]) -> StatusCache:
    """A cache whose collector takes 0.5 s, as Ansible takes seconds, and counts its runs."""

    def collect(_inventory: Path) -> EnvironmentStatus:
        calls.append(time.monotonic())
        time.sleep(0.5)
        return fake_status()

    return StatusCache(collect)


def test_parallel_status_calls_share_one_collection(
    app: Flask, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    calls: list[float] = []
    app.extensions["lbctl.status_cache"] = slow_counted_status(calls)
    together = threading.Barrier(8, timeout=10)
    answers: list[tuple[int, dict]] = []

    def ask() -> None:
        client = app.test_client()
        together.wait()
        response = client.get("/api/v1/status", headers=bearer(tokens["viewer"]))
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(calls) == 1
    assert answers == [(200, fake_status().as_dict())] * 8


def test_a_status_younger_than_5_seconds_is_answered_without_asking_the_hosts(
    app: Flask, client: FlaskClient, tokens: dict[str, str], refusing_inventory: Path
) -> None:
    calls: list[float] = []
    app.extensions["lbctl.status_cache"] = slow_counted_status(calls)
    for _ in range(3):
        assert client.get("/api/v1/status", headers=bearer(tokens["viewer"])).status_code == 200
    assert len(calls) == 1
