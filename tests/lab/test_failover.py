"""Failover of deployed pairs: the VIP follows VRRP, traffic continues, preempt decides return."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controlplane.lab import Lab
from controlplane.observe import collect_status

from .deploying import VIP, VIP_URL, deploy, fast_vrrp, lab_model, statuses, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]


def no_preempt(data: dict) -> None:
    data["vip_pairs"][0]["preempt"] = False


@pytest.fixture
def link_restored(fresh_lab: Lab) -> Iterator[Lab]:
    """The lab, with every LB host's link brought back up after the test, pass or fail."""
    try:
        yield fresh_lab
    finally:
        for host in ("lb1", "lb2"):
            fresh_lab.link_up(host)


def deploy_and_settle(lab: Lab, *changes) -> None:
    result = deploy(lab, lab_model(fast_vrrp, *changes))
    assert all(status in ("changed", "unchanged") for _, status in statuses(result)), result
    assert wait_for(lambda: lab.vips_on("lb1") == [VIP] and lab.vips_on("lb2") == [], 10)


def vrrp_states(lab: Lab) -> dict[str, str]:
    status = collect_status(lab.inventory_path)
    return {h.host: h.vrrp[0].state for h in status.hosts if h.reachable and h.vrrp}


def test_master_link_down_moves_the_vip_and_it_returns_with_preempt(
    link_restored: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = link_restored
    deploy_and_settle(lab)
    probe = lab.start_probe(VIP_URL, interval=0.01, duration=6, max_requests=2_000)
    wait_for(lambda: False, 1.0)  # a second of traffic before the failure
    lab.link_down("lb1")
    assert wait_for(lambda: lab.vips_on("lb2") == [VIP], 5)
    wait_for(lambda: False, 2.0)  # and two seconds of traffic after the move
    report = probe.finish()
    with capsys.disabled():
        print(
            f"\n  failover (VRRPv3, advert 100 ms): client-visible outage "
            f"{report['max_outage_s']:.3f} s; {report['failed']}/{report['requests']} probes failed"
        )
    assert report["ok"] > 0 and report["max_outage_s"] < 2.0, report
    assert report["outage_windows_total"] <= 1, report  # one outage, then traffic continues
    assert vrrp_states(lab)["lb2"] == "MASTER"  # lb1 is unreachable with its link down

    lab.link_up("lb1")
    # preempt: true — the preferred master takes its VIP back.
    assert wait_for(lambda: lab.vips_on("lb1") == [VIP] and lab.vips_on("lb2") == [], 10)
    assert vrrp_states(lab) == {"lb1": "MASTER", "lb2": "BACKUP"}


def test_without_preempt_the_vip_stays_on_the_new_master(link_restored: Lab) -> None:
    lab = link_restored
    deploy_and_settle(lab, no_preempt)
    lab.link_down("lb1")
    assert wait_for(lambda: lab.vips_on("lb2") == [VIP], 5)
    lab.link_up("lb1")
    # lb1 hears lb2's adverts again and stays BACKUP instead of taking the VIP back.
    assert wait_for(lambda: lab.vips_on("lb1") == [], 5)
    assert not wait_for(lambda: lab.vips_on("lb1") == [VIP], 3)
    assert lab.vips_on("lb2") == [VIP]
    assert vrrp_states(lab) == {"lb1": "BACKUP", "lb2": "MASTER"}
    load = lab.run_load(VIP_URL, connections=4, duration=2, max_requests=20_000)
    assert load["failed"] == 0 and load["ok"] > 0
