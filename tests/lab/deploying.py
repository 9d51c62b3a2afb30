"""Helpers for tests that deploy to the lab: the lab model, a deploy, a host's live facts."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import yaml

from controlplane.deploy import DeployResult, deploy_environment
from controlplane.lab import Lab
from controlplane.lab.polling import wait_for as wait_for  # for the modules here
from controlplane.model import LbModel, validate_data
from controlplane.render import render_model

LAB_MODEL = Path(__file__).parent.parent.parent / "inventory" / "lab" / "lb.yaml"
VIP = "198.18.0.100"
VIP_URL = f"http://{VIP}/"

Change = Callable[[dict], None]


def lab_model(*changes: Change) -> LbModel:
    """Return the lab model after applying each change to its document."""
    data = copy.deepcopy(yaml.safe_load(LAB_MODEL.read_text()))
    for change in changes:
        change(data)
    return validate_data(data).model


def deploy(lab: Lab, model: LbModel, inventory: Path | None = None) -> DeployResult:
    """Return the result of deploying `model` to the lab's LB hosts."""
    return deploy_environment(
        model, render_model(model), inventory or lab.inventory_path, "lab-test"
    )


def statuses(result: DeployResult) -> list[tuple[str, str]]:
    return [(h.host, h.status) for h in result.hosts]


def worker_pid(lab: Lab, host: str) -> str:
    """Return the `Pid:` line of the HAProxy worker answering on `host` (changes on reload)."""
    out = lab.exec_on(
        host,
        ["socat", "-t", "2", "stdio", "unix-connect:/run/haproxy/admin.sock"],
        input="show info\n",
    ).stdout
    return next(line for line in out.splitlines() if line.startswith("Pid:"))


def runtime(lab: Lab, host: str, command: str) -> str:
    """Return HAProxy's answer to a runtime API command on `host`."""
    return lab.exec_on(
        host,
        ["socat", "-t", "2", "stdio", "unix-connect:/run/haproxy/admin.sock"],
        input=command + "\n",
    ).stdout


def live_file(lab: Lab, host: str, path: str) -> str:
    return lab.exec_on(host, ["cat", path]).stdout


def fast_vrrp(data: dict) -> None:
    """VRRPv3 with a 100 ms advert: failovers in tests take a fraction of a second."""
    data["vip_pairs"][0]["advert_interval"] = "100ms"
