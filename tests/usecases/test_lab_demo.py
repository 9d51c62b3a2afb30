"""What the live demo sends traffic to, and when it calls the pair healthy (no root needed)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from controlplane.observe.status import (
    EnvironmentStatus,
    HostStatus,
    ServerState,
    VrrpState,
    findings,
)
from controlplane.paths import lab_model_file
from controlplane.usecases.lab_demo import DemoFailed, healthy, trickle_urls
from tests.support import load_yaml, valid

LAB_MODEL = load_yaml(lab_model_file())


def lab_model(edit: Any = None) -> Any:
    document = copy.deepcopy(LAB_MODEL)
    if edit:
        edit(document)
    return valid(document).model


def test_the_trickle_goes_to_every_plain_frontend_of_the_lab_model() -> None:
    assert trickle_urls(lab_model()) == ["http://198.18.0.100:80/", "http://198.18.0.100:8080/"]


def test_the_trickle_leaves_out_frontends_off_the_lab_network() -> None:
    def move_web(document: dict[str, Any]) -> None:
        document["vip_pairs"][0]["vips"].append("192.0.2.10/24")
        document["frontends"][0]["vip"] = "192.0.2.10"

    assert trickle_urls(lab_model(move_web)) == ["http://198.18.0.100:8080/"]


def test_a_model_with_nothing_to_send_to_fails_the_demo() -> None:
    def no_frontends(document: dict[str, Any]) -> None:
        document["frontends"] = []

    with pytest.raises(DemoFailed, match="no plain HTTP or TCP frontend"):
        trickle_urls(lab_model(no_frontends))


def host(name: str, state: str | None, server_status: str = "UP", **kwargs: Any) -> HostStatus:
    vrrp = [VrrpState("edge", state, 0, 100)] if state else []
    servers = [ServerState("app", "app1", server_status, 100, False, "L7OK", 0)]
    fields: dict[str, Any] = {"haproxy_up": True, "keepalived_up": True} | kwargs
    return HostStatus(name, reachable=True, vrrp=vrrp, servers=servers, **fields)


def status(*hosts: HostStatus) -> EnvironmentStatus:
    return EnvironmentStatus(list(hosts), findings(list(hosts)))


def test_a_master_a_backup_and_servers_up_is_healthy() -> None:
    assert healthy(status(host("lb1", "MASTER"), host("lb2", "BACKUP")))


@pytest.mark.parametrize(
    "hosts",
    [
        pytest.param((host("lb1", "BACKUP"), host("lb2", "BACKUP")), id="no master yet"),
        pytest.param((host("lb1", None), host("lb2", None)), id="no vrrp state yet"),
        pytest.param((host("lb1", "MASTER", "DOWN"), host("lb2", "BACKUP")), id="server down"),
        pytest.param(
            (host("lb1", "MASTER"), HostStatus("lb2", reachable=False, error="timed out")),
            id="host unreachable",
        ),
        pytest.param(
            (host("lb1", "MASTER"), host("lb2", "BACKUP", keepalived_up=False)),
            id="keepalived down",
        ),
        pytest.param((), id="no hosts"),
    ],
)
def test_the_pair_is_not_healthy_until_everything_is_up(hosts: tuple[HostStatus, ...]) -> None:
    assert not healthy(status(*hosts))
