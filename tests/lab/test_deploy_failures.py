"""Deploys that fail on the lab: rolled back on the first host, refused when a host is away."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from controlplane.lab import Lab

from .deploying import (
    LAB_MODEL,
    VIP,
    VIP_URL,
    deploy,
    lab_model,
    live_file,
    statuses,
    wait_for,
    worker_pid,
)
from .faulting import SQUATTED_PORT, port_squatted

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def deployed(fresh_lab: Lab) -> Lab:
    assert [s for _, s in statuses(deploy(fresh_lab, lab_model()))] == ["changed", "changed"]
    # The tests count on lb1 as MASTER (lb2 deployed first): the election takes a moment.
    assert wait_for(lambda: fresh_lab.vips_on("lb1") == [VIP], 15)
    return fresh_lab


def add_frontend_on_squatted_port(data: dict) -> None:
    data["frontends"].append(
        {"name": "extra", "vip_pair": "edge", "port": SQUATTED_PORT, "default_pool": "app"}
    )


def test_reload_failing_on_the_first_host_rolls_it_back_and_stops(deployed: Lab) -> None:
    lab = deployed
    config_before = {h: live_file(lab, h, "/etc/haproxy/haproxy.cfg") for h in ("lb1", "lb2")}
    lb1_worker = worker_pid(lab, "lb1")
    load = lab.start_load(VIP_URL, connections=4, duration=20, max_requests=400_000)
    with port_squatted(lab, "lb2"):  # only lb2 (the BACKUP, deployed first) cannot bind
        result = deploy(lab, lab_model(add_frontend_on_squatted_port))
    stats = load.result()

    assert statuses(result) == [("lb2", "rolled back"), ("lb1", "not run")]
    assert result.hosts[0].failed_step in (
        "reload: haproxy",
        "verify: a new worker serves the runtime API",
    )
    # lb2 runs its previous config again, and a worker of it serves.
    assert live_file(lab, "lb2", "/etc/haproxy/haproxy.cfg") == config_before["lb2"]
    assert lab.exec_on("lb2", ["curl", "-sf", "http://127.0.0.1:8404/healthz"]).returncode == 0
    # lb1 was never touched, and traffic through the VIP never stopped.
    assert live_file(lab, "lb1", "/etc/haproxy/haproxy.cfg") == config_before["lb1"]
    assert worker_pid(lab, "lb1") == lb1_worker
    assert stats["failed"] == 0 and stats["ok"] > 0, stats


def unreachable_inventory(lab: Lab, tmp_path: Path, host: str) -> Path:
    """Return a copy of the lab inventory where `host`'s sshd cannot be reached."""
    inventory = yaml.safe_load(lab.inventory_path.read_text())
    inventory["all"]["children"]["lb"]["hosts"][host]["ansible_port"] = 2  # nothing listens
    path = tmp_path / "lab" / "hosts.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(inventory))
    return path


def test_unreachable_host_refuses_the_deploy_and_changes_nothing(
    deployed: Lab, tmp_path: Path
) -> None:
    lab = deployed
    inventory = unreachable_inventory(lab, tmp_path, "lb1")
    before = {
        h: (worker_pid(lab, h), live_file(lab, h, "/etc/haproxy/haproxy.cfg"))
        for h in ("lb1", "lb2")
    }
    changed_model = tmp_path / "lb.yaml"
    changed_model.write_text(LAB_MODEL.read_text().replace("interval: 2s", "interval: 4s"))

    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "controlplane.cli",
            "deploy",
            str(changed_model),
            "-i",
            str(inventory),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert cli.returncode == 1
    assert "lb1" in cli.stdout and "unreachable" in cli.stdout
    assert "nothing was changed on any host" in cli.stderr
    after = {
        h: (worker_pid(lab, h), live_file(lab, h, "/etc/haproxy/haproxy.cfg"))
        for h in ("lb1", "lb2")
    }
    assert after == before
