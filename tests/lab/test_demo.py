"""`lbctl demo`, what `make run` runs as root: a live, green pair; after Ctrl-C nothing is left.

The demo builds the lab itself, so the test lends it the lab this session holds: other
sessions keep waiting, and no other test's lab is torn down underneath it.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from controlplane import lab as lab_api
from controlplane import store
from controlplane.lab import netns
from controlplane.lab.process import all_pids, is_running
from controlplane.lab.teardown import lab_ssh_clients
from controlplane.lab.topology import ROOT_LINK
from tests.lab.test_lab_lifecycle import lab_namespaces, lab_pids

pytestmark = [pytest.mark.lab, pytest.mark.slow]

# Lab up (~10 s), a first deploy to both hosts and the wait for a MASTER, on 2 shared cores.
READY_TIMEOUT_S = 360.0
STOP_TIMEOUT_S = 120.0
URL_LINE = re.compile(r"lbctl admin app on (http://127\.0\.0\.1:\d+/)")
PASSWORD_LINE = re.compile(r"log in as admin with password (\S+) ")


class Lines:
    """The lines a child prints on stdout and stderr, read as they come (pipes never fill)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        for stream in (process.stdout, process.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if found := pattern.search(line):
                return found
        raise AssertionError(f"no line matching {pattern.pattern!r}; saw:\n" + "\n".join(self.seen))

    def rest(self) -> str:
        while not self._queue.empty():
            self.seen.append(self._queue.get())
        return "\n".join(self.seen)


@pytest.fixture
def demo(lab_session: None, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """`lbctl demo --port 0` in a session of its own, lent this session's lab."""
    env = os.environ | {"LBCTL_HOME": str(tmp_path / "instance"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "controlplane.cli", "demo", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        with lab_api.lend(process.pid):
            yield process, Lines(process)
    finally:
        if process.poll() is None:  # the test failed before stopping it: still tear down
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        lab_api.down()


def api_token(home: Path) -> str:
    """Create a viewer and a token for it in the demo's store; return the token."""
    engine = store.make_engine(store.database_url(home))
    try:
        with store.session_factory(engine).begin() as session:
            viewer = store.create_user(session, "checker", "a long test password", "viewer")
            return store.create_token(session, viewer, "demo-test", "viewer")[1]
    finally:
        engine.dispose()


def logged_in(url: str, password: str) -> requests.Session:
    browser = requests.Session()
    browser.trust_env = False  # loopback only: no proxy from the environment
    page = browser.get(url + "login", timeout=30)
    browser.post(
        url + "login",
        data={"name": "admin", "password": password, "csrf_token": csrf(page.text)},
        timeout=30,
    ).raise_for_status()
    return browser


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def session_pids(sid: int) -> list[int]:
    """Return the processes of session ``sid`` (the demo and every child it did not detach)."""
    found = []
    for pid in all_pids():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid:
            found.append(pid)
    return found


def test_demo_serves_a_live_green_pair_and_ctrl_c_leaves_nothing(
    demo: tuple[subprocess.Popen[str], Lines], tmp_path: Path
) -> None:
    process, lines = demo
    url = lines.wait_for(URL_LINE, READY_TIMEOUT_S).group(1)
    password = PASSWORD_LINE.search(lines.rest())
    assert password, lines.rest()
    token = api_token(tmp_path / "instance")
    api = requests.Session()
    api.trust_env = False
    api.headers["Authorization"] = f"Bearer {token}"

    status = api.get(url + "api/v1/status", timeout=60).json()
    assert status["critical"] == 0, status["findings"]
    assert {h["host"] for h in status["hosts"]} == {"lb1", "lb2"}
    assert all(h["reachable"] and h["haproxy_up"] and h["keepalived_up"] for h in status["hosts"])
    states = sorted(v["state"] for h in status["hosts"] for v in h["vrrp"])
    assert states == ["BACKUP", "MASTER"]
    active = [s for h in status["hosts"] for s in h["servers"] if not s["backup"]]
    assert active and all(s["status"] == "UP" for s in active), active
    assert api.get(url + "api/v1/deployments/1", timeout=30).json()["state"] == "succeeded"

    browser = logged_in(url, password.group(1))
    dashboard = browser.get(url, timeout=30).text
    assert "Switchover" in dashboard and "Failover drill" in dashboard
    assert "no drift" in browser.get(url + "drift/fragment", timeout=120).text
    drill = browser.post(
        url + "pairs/edge/drill", data={"csrf_token": csrf(dashboard)}, timeout=180
    )
    assert "the VIPs moved and came back" in drill.text, drill.text + lines.rest()

    running = lab_api.current()
    assert running is not None
    pids = lab_pids(running) | set(session_pids(process.pid))
    assert len(pids) > 10

    process.send_signal(signal.SIGINT)
    assert process.wait(STOP_TIMEOUT_S) == 0, lines.rest()
    assert "lab is down" in lines.rest()
    assert lab_namespaces() == set()
    assert not netns.link_exists(None, ROOT_LINK)
    assert [pid for pid in pids if is_running(pid)] == []
    assert session_pids(process.pid) == []
    assert lab_ssh_clients() == []
    assert lab_api.current() is None
