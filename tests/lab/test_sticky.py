"""Stickiness shared by the pair: peers replicate the stick table, so failover keeps affinity."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controlplane.lab import CLIENT_ADDRESS, Lab

from .deploying import VIP, VIP_URL, deploy, fast_vrrp, lab_model, runtime, statuses, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]


def sticky_source(data: dict) -> None:
    data["pools"][0]["sticky"] = "source"
    data["pools"][0]["servers"][1]["weight"] = 100  # either server is an equal first choice


@pytest.fixture
def sticky_lab(fresh_lab: Lab) -> Iterator[Lab]:
    result = deploy(fresh_lab, lab_model(fast_vrrp, sticky_source))
    assert [s for _, s in statuses(result)] == ["changed", "changed"]
    assert wait_for(lambda: fresh_lab.vips_on("lb1") == [VIP], 10)
    try:
        yield fresh_lab
    finally:
        fresh_lab.link_up("lb1")


def test_backup_holds_the_stick_entry_and_the_client_keeps_its_server_after_failover(
    sticky_lab: Lab,
) -> None:
    lab = sticky_lab
    # One request creates the entry; concurrent first requests would each pick a server.
    first = lab.run_load(VIP_URL, connections=1, duration=2, max_requests=1)
    assert first["ok"] == 1, first
    before = lab.run_load(VIP_URL, connections=4, duration=2, max_requests=5_000)
    assert before["failed"] == 0 and len(before["backends"]) == 1, before
    server = next(iter(first["backends"]))
    assert set(before["backends"]) == {server}

    # The entry learned on lb1 reached lb2 through the peers section.
    assert wait_for(lambda: f"key={CLIENT_ADDRESS}" in runtime(lab, "lb2", "show table app"), 5)

    lab.link_down("lb1")
    assert wait_for(lambda: lab.vips_on("lb2") == [VIP], 5)
    after = lab.run_load(VIP_URL, connections=4, duration=2, max_requests=5_000)
    assert after["failed"] == 0 and after["ok"] > 0, after
    assert set(after["backends"]) == {server}
