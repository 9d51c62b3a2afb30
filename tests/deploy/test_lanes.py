"""Deploy lanes: separate pairs side by side, a pair's hosts in order, BACKUP first.

How a deploy runs the lanes (at the same time, stopping at the first failure) is tested on
a recording executor in test_orchestrate.py.
"""

from __future__ import annotations

import copy

from controlplane.deploy.sequence import HostProbe, deploy_lanes
from controlplane.model import validate_data
from tests.support import MODELS, load_yaml

TWO_PAIRS = load_yaml(MODELS / "two_pairs.yaml")


def _four_hosts_two_pairs():
    document = copy.deepcopy(TWO_PAIRS)
    document["lb_hosts"].append({"name": "lb4", "address": "198.18.0.13", "interface": "eth1"})
    document["vip_pairs"][1]["hosts"] = ["lb3", "lb4"]
    return validate_data(document).model


def _probes(hosts, holding=None):
    holding = holding or {}
    return {h: HostProbe(h, True, {}, holding.get(h, [])) for h in hosts}


def test_separate_pairs_are_separate_lanes_with_the_backup_first():
    model = _four_hosts_two_pairs()
    hosts = ["lb1", "lb2", "lb3", "lb4"]
    probes = _probes(hosts, {"lb1": ["198.18.0.100/24"], "lb4": ["198.18.0.110/24"]})
    assert deploy_lanes(model, probes, hosts) == [["lb2", "lb1"], ["lb3", "lb4"]]


def test_pairs_sharing_a_host_are_one_lane():
    model = validate_data(copy.deepcopy(TWO_PAIRS)).model  # lb2 is in both pairs
    hosts = ["lb1", "lb2", "lb3"]
    assert deploy_lanes(model, _probes(hosts), hosts) == [["lb1", "lb2", "lb3"]]


def test_a_limit_keeps_only_the_named_hosts():
    model = _four_hosts_two_pairs()
    assert deploy_lanes(model, _probes(["lb1", "lb3"]), ["lb1", "lb3"]) == [["lb1"], ["lb3"]]
