"""IPv6 VIPs on the lab pair: requests through them, and failover (root only).

One deployment is shared by the module: the lab pair `edge` gets an IPv6 VIP beside its
IPv4 one (carried as virtual_ipaddress_excluded: the adverts stay IPv4 unicast), and a
second pair `v6` holds only an IPv6 VIP (VRRPv3 adverts by multicast over link-local
addresses). A frontend binds each IPv6 VIP. Addresses are from 2001:2::/48, the IPv6
benchmarking range; the lab's client gets 2001:2::5 for the module and gives it back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controlplane import lab as lab_api
from controlplane.lab import Lab, netns

from .deploying import deploy, fast_vrrp, lab_model, live_file, statuses, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

EDGE_V6 = "2001:2::100"
PAIR_V6 = "2001:2::200"
CLIENT_V6 = "2001:2::5/64"
HOSTS = ("lb1", "lb2")
# HAProxy on the BACKUP binds a VIP it does not hold; for IPv6 that is this sysctl.
NONLOCAL = "net.ipv6.ip_nonlocal_bind"


def ipv6_vips(data: dict) -> None:
    data["vip_pairs"][0]["vips"].append(f"{EDGE_V6}/64")
    data["vip_pairs"].append(
        {
            "name": "v6",
            "hosts": ["lb1", "lb2"],
            "virtual_router_id": 61,
            "vips": [f"{PAIR_V6}/64"],
            "advert_interval": "100ms",
            "vrrp_version": 3,
            "unicast": False,
        }
    )
    data["frontends"] += [
        {"name": "web6", "vip_pair": "edge", "vip": EDGE_V6, "port": 80, "default_pool": "app"},
        {"name": "v6", "vip_pair": "v6", "vip": PAIR_V6, "port": 80, "default_pool": "app"},
    ]


def ipv6_held(lab: Lab, host: str) -> list[str]:
    out = lab.exec_on(host, ["ip", "-o", "-6", "addr", "show", "dev", "eth0", "scope", "global"])
    return sorted(line.split()[3].split("/")[0] for line in out.stdout.splitlines())


def answer(lab: Lab, address: str) -> str:
    """Return the X-Backend header of a request to http://[address]/ ('' when it failed)."""
    done = lab.exec_in_client(
        ["curl", "-6", "-fsS", "-m", "2", "-o", "/dev/null", "-D", "-", f"http://[{address}]/"],
        check=False,
    )
    found = [ln for ln in done.stdout.splitlines() if ln.lower().startswith("x-backend:")]
    return found[0].split(":", 1)[1].strip() if found and done.returncode == 0 else ""


@pytest.fixture(scope="module")
def ipv6_lab(lab_session: None) -> Iterator[Lab]:
    lab = lab_api.current()
    if lab is None or lab.health():
        lab = lab_api.up(lb_hosts=2, backends=3)
    for host in HOSTS:
        netns.sysctl(lab.host(host).namespace, {NONLOCAL: "1"})
    lab.exec_in_client(["ip", "-6", "addr", "replace", CLIENT_V6, "dev", "eth0", "nodad"])
    try:
        result = deploy(lab, lab_model(fast_vrrp, ipv6_vips))
        assert result.ok, statuses(result)
        assert wait_for(lambda: ipv6_held(lab, "lb1") == [EDGE_V6, PAIR_V6], 15)
        yield lab
    finally:
        for host in HOSTS:
            lab.link_up(host)
        deploy(lab, lab_model())  # the lab pair as the other modules expect it
        lab.exec_in_client(["ip", "-6", "addr", "del", CLIENT_V6, "dev", "eth0"], check=False)
        for host in HOSTS:
            netns.sysctl(lab.host(host).namespace, {NONLOCAL: "0"})


def test_both_ipv6_vips_are_on_the_preferred_master_only(ipv6_lab: Lab) -> None:
    assert ipv6_held(ipv6_lab, "lb1") == [EDGE_V6, PAIR_V6]
    assert ipv6_held(ipv6_lab, "lb2") == []


def test_requests_through_each_ipv6_vip_reach_a_backend(ipv6_lab: Lab) -> None:
    for address in (EDGE_V6, PAIR_V6):
        assert wait_for(lambda a=address: answer(ipv6_lab, a) != "", 10), address
        assert answer(ipv6_lab, address) in {"app1", "app2"}


def test_the_mixed_pair_keeps_ipv4_unicast_adverts(ipv6_lab: Lab) -> None:
    conf = live_file(ipv6_lab, "lb1", "/etc/keepalived/keepalived.conf")
    raw = conf.split("\n")
    edge = raw.index("vrrp_instance edge {")
    block = [line.strip() for line in raw[edge : raw.index("}", edge)]]  # to its closing brace
    assert "unicast_src_ip 198.18.0.10" in block
    assert block[block.index("virtual_ipaddress_excluded {") + 1] == f"{EDGE_V6}/64 dev eth0"


def test_ipv6_vips_fail_over_with_their_instances_and_keep_serving(ipv6_lab: Lab) -> None:
    lab = ipv6_lab
    lab.link_down("lb1")
    assert wait_for(lambda: ipv6_held(lab, "lb2") == [EDGE_V6, PAIR_V6], 10)
    for address in (EDGE_V6, PAIR_V6):
        assert wait_for(lambda a=address: answer(lab, a) != "", 10), address
    lab.link_up("lb1")
    # preempt: the preferred master takes both back.
    assert wait_for(lambda: ipv6_held(lab, "lb1") == [EDGE_V6, PAIR_V6], 15)
    assert wait_for(lambda: ipv6_held(lab, "lb2") == [], 10)
