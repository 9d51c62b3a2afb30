"""Run one of lbctl's playbooks through ansible-runner's Python API, streaming events."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

from ..paths import playbooks_dir
from .events import DeployEvent, from_runner_event

# Ansible's settings for every lbctl run (benchmarks/fanout.py measures Ansible's floor with
# the same ones).
ANSIBLE_ENV = {
    # One SSH connection per host for the whole run (or the whole deploy: see ssh_session);
    # its control socket lives in a private folder and the master is ended by pid after.
    "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s",
    "ANSIBLE_PIPELINING": "True",
    "ANSIBLE_HOST_KEY_CHECKING": "False",
    "ANSIBLE_RETRY_FILES_ENABLED": "False",
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "False",
    "ANSIBLE_DEPRECATION_WARNINGS": "False",
    "ANSIBLE_TIMEOUT": "10",
    # Hosts a task runs on at once. Ansible's default of 5 probed 8 hosts in two waves; the
    # deploy play's batches are one host per pair, so this bounds the pairs done together.
    "ANSIBLE_FORKS": "20",
}


@dataclass
class PlaybookRun:
    status: str
    rc: int
    events: list[DeployEvent] = field(default_factory=list)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "successful" and self.rc == 0


def run_playbook(
    playbook: str,
    inventory: Path,
    limit: str | None = None,
    extravars: dict[str, Any] | None = None,
    on_event: Callable[[DeployEvent], None] | None = None,
    fact_keys: tuple[str, ...] = (),
    cancel: Callable[[], bool] | None = None,
    ssh_dir: Path | None = None,
    on_raw: Callable[[dict[str, Any], PlaybookRun], None] | None = None,
) -> PlaybookRun:
    """Return the outcome of one playbook run; `on_event` sees each event as it happens.

    `on_raw` sees every raw ansible-runner event (task starts too) with the run so far, for
    a caller that acts within the run (deploy.yml waits for the control plane's decision).
    `cancel` replaces the run's own signal handling when the caller installed it around
    several runs in other threads (see `interruptible`): it says when to stop Ansible.
    `ssh_dir` (from `ssh_session`) keeps the SSH connections open for the next run of the
    same session; without it they are ended with this run.
    """
    run = PlaybookRun(status="unknown", rc=-1)

    def handle(raw: dict[str, Any]) -> bool:
        _collect_facts(raw, fact_keys, run.facts)
        event = from_runner_event(raw)
        if event is not None:
            run.events.append(event)
            if on_event:
                on_event(event)
        if on_raw:
            on_raw(raw, run)
        return False  # keep nothing on disk beyond the private folder

    data_dir = Path(tempfile.mkdtemp(prefix="lbctl-ansible-"))
    try:
        with _own_or(cancel) as interrupted:
            result = ansible_runner.run(
                private_data_dir=str(data_dir),
                project_dir=str(playbooks_dir()),
                playbook=playbook,
                inventory=str(Path(inventory).resolve()),
                limit=limit,
                extravars=extravars or {},
                envvars=ANSIBLE_ENV
                | {
                    "PATH": _path_with_ansible(),
                    "ANSIBLE_SSH_CONTROL_PATH_DIR": str(ssh_dir or data_dir / "cp"),
                },
                event_handler=handle,
                quiet=True,
                suppress_env_files=True,
                cancel_callback=interrupted,
            )
        run.status, run.rc = result.status, result.rc
    finally:
        if ssh_dir is None:
            close_ssh_masters(data_dir / "cp")
        shutil.rmtree(data_dir, ignore_errors=True)
    return run


@contextmanager
def ssh_session() -> Iterator[Path]:
    """Yield a folder for SSH control sockets shared by several runs; end their masters after.

    A deploy probes, then deploys: with one session the deploy reuses the probe's
    connections (ControlPersist) instead of opening new ones to every host.
    """
    folder = Path(tempfile.mkdtemp(prefix="lbctl-ssh-"))
    try:
        yield folder
    finally:
        close_ssh_masters(folder)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _own_or(cancel: Callable[[], bool] | None) -> Iterator[Callable[[], bool]]:
    if cancel is not None:
        yield cancel
        return
    with interruptible() as interrupted:
        yield interrupted


@contextmanager
def interruptible() -> Iterator[Callable[[], bool]]:
    """Let SIGINT/SIGTERM cancel the run, then restore the handlers and raise.

    ansible-runner's own handlers are installed for good and only set a flag: after one
    run in the main thread, Ctrl-C and SIGTERM would be swallowed for the rest of the
    process. These handlers live only as long as the run, and a signal that arrived
    during it stops the caller too (KeyboardInterrupt), once runner has stopped Ansible.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    asked = threading.Event()
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in saved:
        signal.signal(number, lambda _number, _frame: asked.set())
    try:
        yield asked.is_set
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
    if asked.is_set():
        raise KeyboardInterrupt("interrupted during an Ansible run")


def close_ssh_masters(control_dir: Path) -> None:
    """End the SSH ControlPersist masters whose sockets are in `control_dir`, by pid.

    `ssh -O check` names the master's pid; SIGTERM ends it (and its connection) at once,
    where `-O exit` would wait for sessions still attached.
    """
    for socket in control_dir.glob("*") if control_dir.is_dir() else []:
        check = subprocess.run(
            ["ssh", "-o", f"ControlPath={socket}", "-O", "check", "lbctl-control-master"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        found = re.search(r"pid=(\d+)", check.stderr + check.stdout)
        if found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(found.group(1)), signal.SIGTERM)


def _path_with_ansible() -> str:
    # ansible-playbook is installed beside this interpreter (a venv need not be activated).
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def _collect_facts(raw: dict[str, Any], keys: tuple[str, ...], into: dict[str, dict]) -> None:
    if raw.get("event") != "runner_on_ok" or not keys:
        return
    data = raw.get("event_data") or {}
    facts = (data.get("res") or {}).get("ansible_facts") or {}
    for key in keys:
        if key in facts:
            into.setdefault(data.get("host", ""), {})[key] = facts[key]
