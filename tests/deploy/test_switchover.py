"""Planned switchover: the track file each VRRP instance watches, and the plan's VIP lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.check import check_rendered
from controlplane.deploy.sequence import vip_moves
from controlplane.deploy.switchover import InstanceState, PairHost, PairState
from controlplane.model import validate_data
from controlplane.render import keepalived_context, render_model, switchover_weight
from controlplane.rendered_config import read_keepalived_conf
from tests.support import ROOT, needs_binaries

from .host_modules import host_module


def pair_of(example: dict) -> dict:
    return example["vip_pairs"][0]


def test_each_vrrp_instance_tracks_its_own_switchover_file(example):
    model = validate_data(example).model
    for host in model.lb_hosts:
        for inst in keepalived_context(model, host.name).instances:
            assert inst.switchover_file == f"/run/lbctl/switchover.{inst.name}"
            conf = render_model(model).host(host.name).files["keepalived.conf"]
            assert f'file "{inst.switchover_file}"' in conf
            assert f"{inst.switchover_track} weight {inst.switchover_weight}" in conf


def test_with_preempt_a_drained_host_drops_to_priority_1_below_any_peer(example):
    pair = pair_of(example)
    pair.update(preempt=True, master_priority=200, backup_priority=180)
    model = validate_data(example).model
    weight = switchover_weight(model.vip_pairs[0])
    assert weight == -199
    # keepalived clamps the effective priority to [1, 254]: the master drained is at 1.
    assert max(1, 200 + weight) < 180 and max(1, 180 + weight) == 1


def test_without_preempt_a_drained_host_goes_to_fault(example):
    # A nopreempt BACKUP never takes over from a lower-priority MASTER: only FAULT moves it.
    pair_of(example)["preempt"] = False
    assert switchover_weight(validate_data(example).model.vip_pairs[0]) == 0


@needs_binaries
@pytest.mark.parametrize("preempt", [True, False])
def test_keepalived_accepts_the_switchover_track_files(example, preempt):
    pair_of(example)["preempt"] = preempt
    report = check_rendered(render_model(validate_data(example).model))
    assert report.failures == []
    assert [w for c in report.checks for w in c.warnings] == []


CONF = """vrrp_instance {name} {{
    state BACKUP
    priority {priority}
    virtual_ipaddress {{
        {vip} dev eth0
    }}
}}
"""


def test_plan_names_a_vip_that_changes_vrrp_instance():
    old = CONF.format(name="edge:1", priority=150, vip="198.18.0.101/24")
    new = CONF.format(name="edge:2", priority=150, vip="198.18.0.101/24")
    assert vip_moves("lb1", old, new) == [
        "lb1: VIP 198.18.0.101/24 moves from VRRP instance edge:1 to edge:2: "
        "it may change host between the two keepalived reloads"
    ]


def test_plan_names_the_vips_of_an_instance_whose_priority_changes():
    old = CONF.format(name="edge", priority=150, vip="198.18.0.100/24")
    new = CONF.format(name="edge", priority=90, vip="198.18.0.100/24")
    assert vip_moves("lb1", old, new) == [
        "lb1: VRRP instance edge priority 150 -> 90: its VIPs (198.18.0.100/24) may move "
        "when the pair preempts"
    ]
    assert vip_moves("lb1", old, old) == [] and vip_moves("lb1", None, new) == []


def instance(state: str, priority: int, drained: bool = False) -> InstanceState:
    return InstanceState("edge", state, 0, priority, priority, False, drained, ["198.18.0.100"])


def test_pair_state_knows_when_every_vip_is_on_a_host():
    moved = PairState(
        "edge",
        {
            "lb1": PairHost("lb1", [instance("BACKUP", 150, drained=True)], ["198.18.0.10/24"]),
            "lb2": PairHost(
                "lb2", [instance("MASTER", 100)], ["198.18.0.11/24", "198.18.0.100/24"]
            ),
        },
    )
    assert moved.master() == "lb2" and moved.all_on("lb2") and not moved.all_on("lb1")
    assert moved.preferred("edge") == "lb1" and not moved.each_on_preferred()
    assert moved.hosts["lb1"].drained


def test_pair_state_is_not_moved_while_the_old_master_still_holds_the_vip():
    both = PairState(
        "edge",
        {
            "lb1": PairHost("lb1", [instance("BACKUP", 150)], ["198.18.0.100/24"]),
            "lb2": PairHost("lb2", [instance("MASTER", 100)], ["198.18.0.100/24"]),
        },
    )
    assert not both.all_on("lb2")


lbctl_switchover = host_module("lbctl_switchover")


@pytest.mark.parametrize("golden", sorted((ROOT / "tests/golden").glob("*/*/keepalived.conf")))
def test_the_host_reads_a_pairs_instances_as_the_control_plane_does(golden: Path):
    # The switchover module runs on the LB host, where controlplane cannot be imported.
    text = golden.read_text()
    for pair in {i.name.split(":")[0] for i in read_keepalived_conf(text).instances}:
        assert lbctl_switchover.pair_instances(text, pair) == {
            i.name: {
                "nopreempt": i.nopreempt,
                "config_priority": i.priority,
                "vips": [v.address.split("/")[0] for v in i.vips],
            }
            for i in read_keepalived_conf(text).instances
            if i.name.split(":")[0] == pair
        }
