"""An Ansible run must not keep Ctrl-C and SIGTERM for itself once it is over."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from controlplane.deploy.runner import run_playbook

INVENTORY = """\
all:
  hosts:
    lb1: {ansible_host: 127.0.0.1, ansible_port: 1, ansible_python_interpreter: /usr/bin/python3}
"""


@pytest.fixture
def refusing_inventory(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(INVENTORY)  # nothing listens on 127.0.0.1:1: SSH is refused at once
    return path


def test_signal_handlers_are_restored_after_a_run(refusing_inventory: Path) -> None:
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    run = run_playbook("probe.yml", refusing_inventory)
    assert not run.ok  # the host refused: the run itself still finished
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def late_signal(_number: int, _frame: object) -> None:
    raise KeyboardInterrupt("the signal came after the run")


def test_sigterm_during_a_run_interrupts_the_caller(refusing_inventory: Path) -> None:
    # A signal arriving after the run must fail this test, not kill the test session.
    previous = signal.signal(signal.SIGTERM, late_signal)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt, match="interrupted during an Ansible run"):
            run_playbook("probe.yml", refusing_inventory)
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
