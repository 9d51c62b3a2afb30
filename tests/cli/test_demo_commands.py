"""`lbctl demo` where the lab cannot run: the example environment, and one line saying why."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from controlplane.cli.demo_commands import no_lab_note

NOBODY = 65534
URL_LINE = re.compile(r"lbctl admin app on (http://127\.0\.0\.1:\d+/)")


def test_the_note_is_one_line_saying_why_the_hosts_are_unreachable_and_what_to_do() -> None:
    note = no_lab_note("the namespace lab needs root (network namespaces, bind mounts)")
    assert "\n" not in note
    assert "example model, whose hosts do not exist" in note
    assert "unreachable" in note
    assert "the namespace lab needs root" in note
    assert "run `make run` as root for a live lab pair" in note


def as_non_root(argv: list[str]) -> list[str]:
    """Return ``argv`` run as user nobody when the tests run as root, else as it is."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to run lbctl as a user other than root")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]


@pytest.fixture
def home() -> Iterator[Path]:
    """A folder user nobody may write (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="lbctl-demo-"))
    if os.geteuid() == 0:
        os.chown(folder, NOBODY, NOBODY)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_without_root_demo_serves_the_example_and_says_why(home: Path) -> None:
    argv = as_non_root([sys.executable, "-m", "controlplane.cli", "demo", "--port", "0"])
    probe = subprocess.run(
        as_non_root([sys.executable, "-c", "import controlplane.cli"]), capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip(f"lbctl cannot run as another user here: {probe.stderr.decode()[-200:]}")
    env = os.environ | {"LBCTL_HOME": str(home / "instance"), "HOME": str(home)}
    with open(home / "stderr", "w+") as stderr:  # a file: a full pipe would stall the demo
        demo = subprocess.Popen(
            argv, cwd=home, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        seen: list[str] = []
        try:
            url = _wait_for_url(demo, time.monotonic() + 60, seen)
            session = requests.Session()
            session.trust_env = False  # loopback: no proxy from the environment
            assert session.get(url + "login", timeout=10).status_code == 200
        finally:
            demo.send_signal(signal.SIGINT)
            out = "".join(seen) + demo.communicate(timeout=30)[0]
        stderr.seek(0)
        err = stderr.read()
    assert "note: serving the example model, whose hosts do not exist" in err
    assert "the namespace lab needs" in err
    assert "as example revision 1" in out
    assert "log in as admin with password" in out


def _wait_for_url(demo: subprocess.Popen[str], deadline: float, seen: list[str]) -> str:
    assert demo.stdout is not None
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line and demo.poll() is not None:
            break
        seen.append(line)
        if found := URL_LINE.search(line):
            return found.group(1)
    raise AssertionError("the app never said where it listens:\n" + "".join(seen))
