"""Deploy scheduling: pairs side by side, a pair's hosts in order, one failure stops all."""

from __future__ import annotations

import copy
import threading
import time

from controlplane.deploy.orchestrate import HostResult, _run_lanes
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


def test_lanes_run_at_the_same_time_and_hosts_of_a_lane_in_order():
    spans: dict[str, tuple[float, float]] = {}

    def deploy_one(host: str) -> HostResult:
        started = time.monotonic()
        time.sleep(0.2)
        spans[host] = (started, time.monotonic())
        return HostResult(host, "changed")

    outcomes = _run_lanes([["lb2", "lb1"], ["lb3", "lb4"]], deploy_one)
    assert all(r.status == "changed" for r in outcomes.values())
    assert spans["lb2"][1] <= spans["lb1"][0] and spans["lb3"][1] <= spans["lb4"][0]
    assert spans["lb3"][0] < spans["lb2"][1]  # the second lane did not wait for the first


def test_a_failure_stops_every_lane_before_its_next_host():
    second_lane_busy = threading.Event()

    def deploy_one(host: str) -> HostResult:
        if host == "lb3":
            second_lane_busy.set()
            time.sleep(0.3)  # still busy when lb2 fails: finishes, then stops
            return HostResult(host, "changed")
        if host == "lb2":
            second_lane_busy.wait(5)
            return HostResult(host, "rolled back", failed_step="reload")
        return HostResult(host, "changed")

    outcomes = _run_lanes([["lb2", "lb1"], ["lb3", "lb4"]], deploy_one)
    assert {h: r.status for h, r in outcomes.items()} == {
        "lb2": "rolled back",
        "lb1": "not run",
        "lb3": "changed",
        "lb4": "not run",
    }
