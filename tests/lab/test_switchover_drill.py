"""Planned switchover and the failover drill in the lab, with the client-visible figures."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from controlplane.cli import main
from controlplane.deploy.switchover import read_pair, switch_back, switch_over
from controlplane.lab import Lab
from controlplane.lab.lab import LoadRun

from .deploying import VIP, VIP_URL, deploy, fast_vrrp, lab_model, statuses, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]


# How long the probe keeps watching after a move is confirmed: late trouble (a host answering
# ARP for the VIP it gave up, a flap back) shows well inside this.
SETTLE_S = 2.0
# Writes 0 to an existing switchover file (keepalived watches it; deleting it is no state).
UNDRAIN = "import pathlib, sys; p = pathlib.Path(sys.argv[1]); p.exists() and p.write_text('0')"


def no_preempt(data: dict) -> None:
    data["vip_pairs"][0]["preempt"] = False


@pytest.fixture
def undrained(lab: Lab) -> Iterator[Lab]:
    """The lab; afterwards no host is left drained, pass or fail."""
    try:
        yield lab
    finally:
        for host in ("lb1", "lb2"):
            lab.exec_on(host, ["python3", "-c", UNDRAIN, "/run/lbctl/switchover.edge"], check=False)


def probe_after_settling(probe: LoadRun) -> dict:
    """The probe's report, once it has watched the VIP a while after the move was confirmed."""
    time.sleep(SETTLE_S)
    return probe.finish()


def deploy_fast(lab: Lab, *changes) -> None:
    result = deploy(lab, lab_model(fast_vrrp, *changes))
    assert all(s in ("changed", "unchanged") for _, s in statuses(result)), result
    assert wait_for(lambda: lab.vips_on("lb1") == [VIP] and lab.vips_on("lb2") == [], 10)


def test_switchover_moves_the_vip_to_the_peer_under_a_probe_and_back_returns_it(
    undrained: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = undrained
    deploy_fast(lab)
    probe = lab.start_probe(VIP_URL, interval=0.01, duration=12, max_requests=2_000)
    moved = switch_over(lab.inventory_path, "edge", timeout_s=20)
    assert (moved.source, moved.target) == ("lb1", "lb2")
    assert lab.vips_on("lb2") == [VIP] and lab.vips_on("lb1") == []
    assert read_pair(lab.inventory_path, "edge").hosts["lb1"].drained
    report = probe_after_settling(probe)
    with capsys.disabled():
        print(
            f"\n  switchover lb1 -> lb2 (preempt, advert 100 ms): confirmed in"
            f" {moved.seconds:.1f} s;"
            f" client-visible outage {report['max_outage_s']:.3f} s;"
            f" {report['failed']}/{report['requests']} probes failed"
        )
    assert report["ok"] > 0 and report["max_outage_s"] < 1.0, report

    back = CliRunner().invoke(main, ["switchover", "edge", "-i", str(lab.inventory_path), "--back"])
    assert back.exit_code == 0, back.output
    assert lab.vips_on("lb1") == [VIP] and lab.vips_on("lb2") == []
    assert not read_pair(lab.inventory_path, "edge").hosts["lb1"].drained


def test_without_preempt_switchover_and_back_still_move_the_vip(
    undrained: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = undrained
    deploy_fast(lab, no_preempt)
    probe = lab.start_probe(VIP_URL, interval=0.01, duration=10, max_requests=2_000)
    moved = switch_over(lab.inventory_path, "edge", timeout_s=20)
    assert moved.target == "lb2" and lab.vips_on("lb2") == [VIP]
    report = probe_after_settling(probe)
    with capsys.disabled():
        print(
            f"\n  switchover lb1 -> lb2 (nopreempt: FAULT, advert 100 ms): client-visible outage"
            f" {report['max_outage_s']:.3f} s; {report['failed']}/{report['requests']} failed"
        )
    assert report["ok"] > 0 and report["max_outage_s"] < 1.0, report
    state = read_pair(lab.inventory_path, "edge")
    assert state.hosts["lb1"].state("edge") == "FAULT"  # drained without preempt = FAULT
    back = switch_back(lab.inventory_path, "edge", timeout_s=20)
    assert back.target == "lb1" and lab.vips_on("lb1") == [VIP] and lab.vips_on("lb2") == []
    final = read_pair(lab.inventory_path, "edge")
    assert final.master() == "lb1" and not any(h.drained for h in final.hosts.values())


def test_failover_drill_reports_the_outage_and_restores_the_master(
    undrained: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = undrained
    deploy_fast(lab)
    args = ["drill", "failover", "edge", "-i", str(lab.inventory_path), "--lab", "--json"]
    result = CliRunner().invoke(main, args)
    report = json.loads(result.stdout)
    with capsys.disabled():
        probe = report["probe"]
        print(
            f"\n  failover drill (preempt, advert 100 ms): outage {probe['max_outage_s']:.3f} s"
            f" in {probe['outage_windows_total']} window(s), {probe['failed']}/"
            f"{probe['requests']} probes failed; new MASTER confirmed in "
            f"{report['seconds_to_new_master']} s, restored in {report['seconds_to_restore']} s"
        )
    assert result.exit_code == 0, result.output
    assert report["moved"] and report["restored"] and report["new_master"] == "lb2"
    assert isinstance(probe["max_outage_s"], float) and probe["requests"] > 100
    assert lab.vips_on("lb1") == [VIP] and lab.vips_on("lb2") == []
