"""What the lab benchmarks share: the held lab, the lab model and its deploy, a host's facts.

Not a benchmark itself: `zero_downtime.py`, `failover.py` and `runtime_vs_reload.py` import
it (run them as `.venv/bin/python benchmarks/NAME.py`, which puts this folder on the path).
"""

from __future__ import annotations

import copy
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import yaml

from controlplane import lab as lab_api
from controlplane.deploy import DeployResult, deploy_environment
from controlplane.deploy.runner import ANSIBLE_ENV, close_ssh_masters
from controlplane.lab import Lab
from controlplane.lab.polling import wait_for as wait_for  # for the modules here
from controlplane.lab.reservation import ensure_not_held_elsewhere
from controlplane.model import LbModel, validate_data
from controlplane.render import render_model
from controlplane.runtime import ServerRuntimeState, runtime_state

ROOT = Path(__file__).resolve().parent.parent
LAB_MODEL = ROOT / "inventory" / "lab" / "lb.yaml"
VIP = "198.18.0.100"
VIP_URL = f"http://{VIP}/"
HOSTS = ("lb1", "lb2")  # lb1 is the pair's preferred master
ENVIRONMENT = "lab-bench"  # the deploy lock's name; the lab reservation is what we hold
DEFAULT_LAB_WAIT_S = 1800.0

Change = Callable[[dict], None]


def progress(message: str) -> None:
    """Print a progress line on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the lab, held for the whole benchmark ----------------------------------------------------


@contextmanager
def held_lab(wait_s: float = DEFAULT_LAB_WAIT_S) -> Iterator[Lab]:
    """Yield a fresh lab (2 LB hosts, 3 backends) held for this process; always torn down."""
    reason = lab_api.require_root_lab()
    if reason:
        raise SystemExit(f"cannot run the lab here: {reason}")
    try:
        ensure_not_held_elsewhere(lab_api.lab_dir())
    except lab_api.LabBusyError as busy:
        who = f"pid {busy.holder}" if busy.holder else "another process"
        progress(f"waiting for the lab held by {who} (up to {wait_s:.0f} s)")
    previous = signal.signal(signal.SIGTERM, _terminated)  # so `finally` tears down
    try:
        with lab_api.reserved(timeout=wait_s):
            try:
                progress("bringing the lab up")
                yield lab_api.up(lb_hosts=2, backends=3)
            finally:
                progress("tearing the lab down")
                lab_api.down()
    except lab_api.LabBusyError as busy:
        raise SystemExit(f"gave up after {wait_s:.0f} s: {busy}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminated(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


# --- the lab model and its deploy -------------------------------------------------------------


def playbook_seconds(lab: Lab, playbook_text: str, env: dict[str, str] | None = None) -> float:
    """Return the wall seconds of one `ansible-playbook` run of `playbook_text` on the lab.

    With the deploy's connection settings (ANSIBLE_ENV) and fresh SSH connections, which
    the run's own ControlPersist masters then keep until it ends (closed here, by pid).
    """
    with tempfile.TemporaryDirectory(prefix="lbctl-playbook-") as folder:
        playbook = Path(folder) / "playbook.yml"
        playbook.write_text(playbook_text)
        run_env = os.environ | ANSIBLE_ENV | {"ANSIBLE_SSH_CONTROL_PATH_DIR": f"{folder}/cp"}
        run_env |= env or {}
        run_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), run_env["PATH"]])
        started = time.monotonic()
        subprocess.run(
            ["ansible-playbook", "-i", str(lab.inventory_path), str(playbook)],
            env=run_env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        seconds = time.monotonic() - started
        close_ssh_masters(Path(folder) / "cp")
    return seconds


def lab_model(*changes: Change) -> LbModel:
    """Return inventory/lab/lb.yaml after applying each change to its document."""
    data = copy.deepcopy(yaml.safe_load(LAB_MODEL.read_text()))
    for change in changes:
        change(data)
    return validate_data(data).model


def deploy(lab: Lab, model: LbModel) -> DeployResult:
    """Return the result of deploying `model` to the lab; raise when a host did not take it."""
    result = deploy_environment(model, render_model(model), lab.inventory_path, ENVIRONMENT)
    if not result.ok:
        failed = "; ".join(
            f"{h.host} {h.status} {h.failed_step} {h.error}".strip() for h in result.hosts
        )
        raise SystemExit(f"deploy failed: {failed}")
    return result


def host_statuses(result: DeployResult) -> dict[str, str]:
    return {h.host: h.status for h in result.hosts}


# --- a host's facts, read through its namespaces (no SSH) -------------------------------------


def runtime(lab: Lab, host: str, command: str, timeout: float = 5) -> str:
    """Return HAProxy's answer to a runtime API command on `host` ('' when it cannot answer)."""
    done = lab.exec_on(
        host,
        ["socat", "-t", "2", "stdio", "unix-connect:/run/haproxy/admin.sock"],
        check=False,
        timeout=timeout,
        input=command + "\n",
    )
    return done.stdout if done.returncode == 0 else ""


def worker_pid(lab: Lab, host: str) -> str:
    """Return the pid of the HAProxy worker answering on `host` (changes on every reload)."""
    for line in runtime(lab, host, "show info").splitlines():
        if line.startswith("Pid:"):
            return line.split(":", 1)[1].strip()
    return ""


def server_state(lab: Lab, host: str, backend: str, server: str) -> ServerRuntimeState | None:
    """Return a server's runtime state on `host`, or None when HAProxy does not answer."""
    found = runtime_state(runtime(lab, host, f"show servers state {backend}"))
    return found.get(f"{backend}/{server}")


def vrrp_state(lab: Lab, host: str, instance: str = "edge") -> str:
    """Return the VRRP state lbctl's notify hook last recorded for `instance` on `host`."""
    done = lab.exec_on(host, ["cat", f"/run/lbctl/vrrp/{instance}"], check=False)
    return done.stdout.split()[0] if done.returncode == 0 and done.stdout.strip() else ""


def steady(lab: Lab) -> bool:
    """Return whether the pair is in its steady state: lb1 MASTER with the VIP, lb2 BACKUP."""
    return (
        lab.vips_on("lb1") == [VIP]
        and lab.vips_on("lb2") == []
        and vrrp_state(lab, "lb1") == "MASTER"
        and vrrp_state(lab, "lb2") == "BACKUP"
    )


# --- figures and tables -----------------------------------------------------------------------


def quantile(values: Sequence[float], q: float) -> float:
    """Return the q-quantile (nearest rank) of `values`; nan when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a markdown table, columns padded to their widest cell."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print(line(row))
