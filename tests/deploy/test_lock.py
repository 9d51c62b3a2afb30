"""The per-environment deploy lock: two deploys never interleave, across processes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from controlplane.deploy import lock
from controlplane.deploy.lock import DeployLocked, environment_lock

HOLDER = """
import sys, time
from pathlib import Path
from controlplane.deploy import lock
lock.LOCK_DIR = Path(sys.argv[1])
with lock.environment_lock("prod"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(lock, "LOCK_DIR", tmp_path)
    return tmp_path


def hold_in_another_process(lock_dir: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_dir), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent.parent,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_deploy_is_refused_with_who_holds_the_lock(lock_dir: Path) -> None:
    holder = hold_in_another_process(lock_dir, 5)
    try:
        with pytest.raises(DeployLocked) as refused, environment_lock("prod"):
            pass
        assert f"pid {holder.pid}" in str(refused.value)
        assert "'prod'" in str(refused.value) and "--wait" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_second_deploy_waits_for_the_first_to_finish(lock_dir: Path) -> None:
    holder = hold_in_another_process(lock_dir, 1)
    try:
        started = time.monotonic()
        with environment_lock("prod", wait_s=10):
            waited = time.monotonic() - started
        assert 0.5 < waited < 10  # it got the lock once the holder's second was over
    finally:
        holder.kill()
        holder.wait()


def test_other_environments_do_not_wait(lock_dir: Path) -> None:
    holder = hold_in_another_process(lock_dir, 5)
    try:
        with environment_lock("staging"):
            pass
    finally:
        holder.kill()
        holder.wait()
