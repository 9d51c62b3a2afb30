"""The lab's own link control: unplugging a host's link, and seeing where VIPs are."""

from __future__ import annotations

import socket

import pytest

from controlplane.lab import Lab
from controlplane.lab.polling import wait_for

pytestmark = pytest.mark.lab

VIP = "198.18.0.150"


def reachable(address: str, port: int = 22, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def keepalived_config(priority: int) -> str:
    return f"""\
global_defs {{
    vrrp_version 3
}}
vrrp_instance lab_test {{
    state BACKUP
    interface eth0
    virtual_router_id 150
    priority {priority}
    advert_int 0.1
    virtual_ipaddress {{
        {VIP}/24
    }}
}}
"""


def test_link_down_makes_a_host_unreachable_and_link_up_restores_it(lab: Lab) -> None:
    address = lab.host("lb2").address
    assert reachable(address)
    lab.link_down("lb2")
    try:
        assert not reachable(address)
        assert lab.exec_on("lb2", ["true"]).returncode == 0  # nsenter does not need the link
    finally:
        lab.link_up("lb2")
    assert wait_for(lambda: reachable(address), 5)


def test_vips_on_lists_added_addresses_but_not_the_host_address(lab: Lab) -> None:
    assert lab.vips_on("lb1") == []
    lab.exec_on("lb1", ["ip", "addr", "add", f"{VIP}/24", "dev", "eth0"])
    try:
        assert lab.vips_on("lb1") == [VIP]
    finally:
        lab.exec_on("lb1", ["ip", "addr", "del", f"{VIP}/24", "dev", "eth0"])


def test_keepalived_reload_starts_vrrp_and_the_vip_moves_when_the_master_link_drops(
    lab: Lab,
) -> None:
    for host, priority in (("lb1", 150), ("lb2", 100)):
        lab.exec_on(
            host,
            ["sh", "-c", "cat > /etc/keepalived/keepalived.conf"],
            input=keepalived_config(priority),
        )
        lab.exec_on(host, [str(lab.host(host).keepalived_reload)])
    try:
        assert lab.keepalived_pid("lb1") and lab.keepalived_pid("lb2")
        assert wait_for(lambda: lab.vips_on("lb1") == [VIP], 3)
        lab.link_down("lb1")
        try:
            assert wait_for(lambda: lab.vips_on("lb2") == [VIP], 3)
        finally:
            lab.link_up("lb1")
        assert wait_for(lambda: lab.vips_on("lb1") == [VIP] and lab.vips_on("lb2") == [], 3)
        log = (lab.host("lb1").dir / "log" / "keepalived.log").read_text()
        assert "Entering MASTER STATE" in log
    finally:
        for host in ("lb1", "lb2"):
            lab.exec_on(host, [str(lab.host(host).keepalived_stop)])
            lab.exec_on(host, ["rm", "-f", "/etc/keepalived/keepalived.conf"])
    assert lab.keepalived_pid("lb1") is None and lab.keepalived_pid("lb2") is None
