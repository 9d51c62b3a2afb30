"""Holding the lab: one holder at a time, holding again, lending to a child (no root needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from controlplane.lab import LabError, lend, reserved

RESERVE_IN_CHILD = (
    "import sys; from pathlib import Path; from controlplane.lab import reserved\n"
    "with reserved(Path(sys.argv[1]), timeout=float(sys.argv[2])):\n"
    "    print('held', flush=True)\n"
)


def reserve_in_child(directory: Path, timeout: float) -> subprocess.Popen[str]:
    """Start a process that reserves the lab in ``directory``, says so and releases it."""
    return subprocess.Popen(
        [sys.executable, "-c", RESERVE_IN_CHILD, str(directory), str(timeout)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(child: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = child.communicate(timeout=60)
    return child.returncode, out, err


def test_another_process_waits_for_the_holder_then_gives_up(tmp_path: Path) -> None:
    with reserved(tmp_path):
        code, out, err = finished(reserve_in_child(tmp_path, 0.5))
    assert code != 0 and out == ""
    assert f"in use by pid {os.getpid()}" in err


def test_the_holder_reserves_again_at_once_and_still_holds_the_lab_after(tmp_path: Path) -> None:
    with reserved(tmp_path, timeout=0), reserved(tmp_path, timeout=0):
        pass
    with reserved(tmp_path, timeout=0):
        with reserved(tmp_path, timeout=0):
            pass
        code, _, err = finished(reserve_in_child(tmp_path, 0.5))
    assert code != 0 and f"in use by pid {os.getpid()}" in err


def test_a_child_lent_the_lab_goes_ahead_and_the_holder_keeps_it(tmp_path: Path) -> None:
    with reserved(tmp_path):
        child = reserve_in_child(tmp_path, 30)
        with lend(child.pid, tmp_path):
            code, out, _ = finished(child)
        assert (code, out) == (0, "held\n")
        code, _, err = finished(reserve_in_child(tmp_path, 0.5))
    assert code != 0 and f"in use by pid {os.getpid()}" in err


def test_only_the_holder_can_lend_the_lab(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="does not hold it"), lend(1, tmp_path):
        pass


def test_the_lab_is_free_once_the_holder_lets_go(tmp_path: Path) -> None:
    with reserved(tmp_path):
        pass
    assert finished(reserve_in_child(tmp_path, 0.5))[:2] == (0, "held\n")
