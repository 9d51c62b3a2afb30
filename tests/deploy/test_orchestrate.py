"""A deploy's logic on a recording executor: order, lanes, stop at the first failure, rollback.

No host, root or SSH: the executor records what each host is asked and answers as told.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from controlplane.deploy import (
    DeployResult,
    HostDeploy,
    HostResult,
    RecordingExecutor,
    deploy_environment,
    lock,
)
from controlplane.deploy.executor import HostStatus
from controlplane.deploy.sequence import HostProbe
from controlplane.model import LbModel, validate_data
from controlplane.render import HAPROXY_FILE, KEEPALIVED_FILE, render_model
from tests.support import MODELS, load_yaml

TWO_PAIRS = load_yaml(MODELS / "two_pairs.yaml")
EDGE_VIP = "198.18.0.100/24"
INTERNAL_VIP = "198.18.0.110/24"


@pytest.fixture(autouse=True)
def lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lock, "LOCK_DIR", tmp_path)


def _four_hosts_two_pairs() -> dict[str, Any]:
    """Two separate pairs: edge = lb1 + lb2, internal = lb3 + lb4."""
    document = copy.deepcopy(TWO_PAIRS)
    document["lb_hosts"].append({"name": "lb4", "address": "198.18.0.13", "interface": "eth1"})
    document["vip_pairs"][1]["hosts"] = ["lb3", "lb4"]
    return document


def _model(document: dict[str, Any]) -> LbModel:
    return validate_data(document).model


def _holding(**vips: str) -> dict[str, HostProbe]:
    """Return probes of reachable hosts, each holding the VIP given (its pair's MASTER)."""
    return {host: HostProbe(host, True, {}, [vip]) for host, vip in vips.items()}


def _deploy(
    model: LbModel, executor: RecordingExecutor, limit: list[str] | None = None
) -> DeployResult:
    return deploy_environment(
        model, render_model(model), Path("unused"), "test", limit, executor=executor
    )


def _statuses(result: DeployResult) -> dict[str, str]:
    return {h.host: h.status for h in result.hosts}


def _slow(status: HostStatus, seconds: float = 0.2) -> Callable[[HostDeploy], HostResult]:
    def answer(job: HostDeploy) -> HostResult:
        time.sleep(seconds)
        return HostResult(job.host, status)

    return answer


def test_each_pair_deploys_its_backup_first_and_its_master_last() -> None:
    executor = RecordingExecutor(probes=_holding(lb1=EDGE_VIP, lb4=INTERNAL_VIP))
    result = _deploy(_model(_four_hosts_two_pairs()), executor)
    assert result.ok
    order = executor.deployed
    assert order.index("lb2") < order.index("lb1") and order.index("lb3") < order.index("lb4")
    assert [h.host for h in result.hosts] == ["lb2", "lb1", "lb3", "lb4"]


def test_separate_pairs_deploy_at_the_same_time_and_a_pairs_hosts_one_after_the_other() -> None:
    executor = RecordingExecutor(
        probes=_holding(lb1=EDGE_VIP, lb4=INTERNAL_VIP),
        answers={h: _slow("changed") for h in ("lb1", "lb2", "lb3", "lb4")},
    )
    result = _deploy(_model(_four_hosts_two_pairs()), executor)
    spans = {d.job.host: (d.started, d.finished) for d in executor.deploys}
    assert _statuses(result) == dict.fromkeys(("lb2", "lb1", "lb3", "lb4"), "changed")
    assert spans["lb2"][1] <= spans["lb1"][0] and spans["lb3"][1] <= spans["lb4"][0]
    assert spans["lb3"][0] < spans["lb2"][1]  # the second pair did not wait for the first


def test_hosts_sharing_a_pair_through_another_host_deploy_one_at_a_time() -> None:
    executor = RecordingExecutor(answers={h: _slow("changed", 0.05) for h in ("lb1", "lb2", "lb3")})
    _deploy(_model(copy.deepcopy(TWO_PAIRS)), executor)  # lb2 is in both pairs
    spans = sorted((d.started, d.finished) for d in executor.deploys)
    assert all(before[1] <= after[0] for before, after in itertools.pairwise(spans))


def test_a_failure_stops_every_pair_before_its_next_host() -> None:
    lb3_busy = threading.Event()

    def lb3(job: HostDeploy) -> HostResult:
        lb3_busy.set()
        time.sleep(0.3)  # still busy when lb2 fails: it finishes, then its pair stops
        return HostResult(job.host, "changed")

    def lb2(job: HostDeploy) -> HostResult:
        lb3_busy.wait(5)
        return HostResult(job.host, "rolled back", failed_step="reload: haproxy", error="boom")

    executor = RecordingExecutor(
        probes=_holding(lb1=EDGE_VIP, lb4=INTERNAL_VIP), answers={"lb2": lb2, "lb3": lb3}
    )
    result = _deploy(_model(_four_hosts_two_pairs()), executor)
    assert not result.ok
    assert _statuses(result) == {
        "lb2": "rolled back",
        "lb1": "not run",
        "lb3": "changed",
        "lb4": "not run",
    }
    assert sorted(executor.deployed) == ["lb2", "lb3"]
    assert result.hosts[0].failed_step == "reload: haproxy"


@pytest.mark.parametrize("status", ["failed", "rolled back", "unreachable"])
def test_the_master_is_never_deployed_after_its_backup_did_not_succeed(status: str) -> None:
    executor = RecordingExecutor(probes=_holding(lb1=EDGE_VIP), answers={"lb2": status})
    result = _deploy(_model(_four_hosts_two_pairs()), executor, limit=["lb1", "lb2"])
    assert _statuses(result) == {"lb2": status, "lb1": "not run"}
    assert executor.deployed == ["lb2"]


def test_an_unreachable_host_refuses_the_whole_deploy_before_any_host_changes() -> None:
    probes = {"lb3": HostProbe("lb3", False, {}, [], "ssh: connection refused")}
    executor = RecordingExecutor(probes=probes)
    result = _deploy(_model(_four_hosts_two_pairs()), executor)
    assert executor.probed == [["lb1", "lb2", "lb3", "lb4"]] and executor.deployed == []
    assert _statuses(result) == {
        "lb1": "not run",
        "lb2": "not run",
        "lb3": "unreachable",
        "lb4": "not run",
    }
    assert result.hosts[2].error == "ssh: connection refused"


def test_a_limit_deploys_only_the_named_hosts() -> None:
    executor = RecordingExecutor()
    result = _deploy(_model(_four_hosts_two_pairs()), executor, limit=["lb3"])
    assert executor.deployed == ["lb3"] and _statuses(result) == {"lb3": "changed"}


def test_every_event_reaches_the_caller_and_the_result() -> None:
    seen: list[str] = []
    model = _model(_four_hosts_two_pairs())
    result = deploy_environment(
        model,
        render_model(model),
        Path("unused"),
        "test",
        on_event=lambda e: seen.append(e.host),
        executor=RecordingExecutor(answers={"lb3": "failed"}),
    )
    assert sorted(seen) == sorted(e.host for e in result.events) and "lb3" in seen


def _live(document: dict[str, Any], host: str) -> dict[str, str | None]:
    files = render_model(_model(document)).host(host).files
    return {HAPROXY_FILE: files[HAPROXY_FILE], KEEPALIVED_FILE: files[KEEPALIVED_FILE]}


def test_a_weight_only_change_goes_through_the_runtime_api_and_rolls_back_the_same_way() -> None:
    before = _four_hosts_two_pairs()
    after = copy.deepcopy(before)
    after["pools"][0]["servers"][0]["weight"] = 7
    probes = {"lb1": HostProbe("lb1", True, _live(before, "lb1"), [EDGE_VIP])}
    executor = RecordingExecutor(probes=probes)
    _deploy(_model(after), executor, limit=["lb1"])
    job = executor.job("lb1")
    assert job.runtime_commands == (
        "set server app/app1 state ready",
        "set server app/app1 weight 7",
    )
    assert job.rollback_commands == (
        "set server app/app1 state ready",
        "set server app/app1 weight 100",
    )


def test_a_change_that_needs_a_reload_sends_no_runtime_commands() -> None:
    before = _four_hosts_two_pairs()
    after = copy.deepcopy(before)
    after["pools"][0]["servers"][0]["port"] = 8081
    probes = {"lb1": HostProbe("lb1", True, _live(before, "lb1"), [EDGE_VIP])}
    executor = RecordingExecutor(probes=probes)
    _deploy(_model(after), executor, limit=["lb1"])
    job = executor.job("lb1")
    assert job.runtime_commands == () and job.rollback_commands == ()
    assert job.stale_servers == ("app/app1",)  # its saved state belongs to the old port


def test_a_first_deploy_installs_the_rendering_and_has_nothing_to_roll_back_to() -> None:
    model = _model(_four_hosts_two_pairs())
    executor = RecordingExecutor()
    _deploy(model, executor, limit=["lb1"])
    job = executor.job("lb1")
    files = render_model(model).host("lb1").files
    assert job.haproxy_cfg == files[HAPROXY_FILE]
    assert job.keepalived_phases == (files[KEEPALIVED_FILE],)
    assert job.rollback_commands == () and job.stale_servers == ()
    assert "app" in job.expected_backends and job.vrrp_instances == ("edge",)
