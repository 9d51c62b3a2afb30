"""Hand-written keepalived.conf pairs: IPv6 instances, a host in two pairs, keepalived options.

Each case is imported from a folder the way `lbctl import DIR` reads it, with the originals
proven by the real `keepalived -t`/`haproxy -c`; the rendered import must pass them too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controlplane.check import check_rendered
from controlplane.config_import.importer import import_hosts, read_dir
from controlplane.model.loader import validate_data
from controlplane.render import render_model
from controlplane.rendered_config import read_keepalived_conf
from controlplane.usecases.config_import import ImportResult, import_dir

HAPROXY = """global
    log /dev/log local0
    maxconn 4000

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
{frontends}
backend app
    server app1 198.18.0.20:8080 check
"""
WEB = """
frontend web
    bind 198.18.0.100:80
    default_backend app
"""
WEB6 = """
frontend web6
    bind [2001:db8:2::200]:80
    default_backend app
"""
API = """
frontend api
    bind 198.18.0.110:80
    default_backend app
"""

# An IPv4 pair with unicast adverts, and an IPv6-only instance of its own (VRRPv3,
# multicast), the way a dual-stack pair is often written by hand.
DUAL_STACK = """global_defs {{
    router_id {host}
    enable_script_security
    script_user root
    vrrp_garp_interval 0.01
}}
vrrp_script chk_haproxy {{
    script "/usr/bin/killall -0 haproxy"
    interval 2
    weight -40
}}
vrrp_instance VI_4 {{
    state {state}
    interface eth0
    virtual_router_id 51
    priority {priority}
    advert_int 1
    unicast_src_ip {me}
    unicast_peer {{
        {peer}
    }}
    virtual_ipaddress {{
        198.18.0.100/24 dev eth0
    }}
    virtual_ipaddress_excluded {{
        198.18.0.101/24 dev eth0
    }}
    track_script {{
        chk_haproxy
    }}
    garp_master_refresh 30
}}
vrrp_instance VI_6 {{
    state {state}
    interface eth0
    virtual_router_id 61
    version 3
    priority {priority}
    advert_int 1
    virtual_ipaddress {{
        2001:db8:2::200/64 dev eth0
    }}
    track_script {{
        chk_haproxy
    }}
}}
"""

INSTANCE = """vrrp_instance {name} {{
    state {state}
    interface {interface}
    virtual_router_id {vrid}
    priority {priority}
    advert_int 1
    unicast_src_ip {me}
    unicast_peer {{
        {peer}
    }}
    virtual_ipaddress {{
        {vip} dev {interface}
    }}
}}
"""


def _write(folder: Path, host: str, keepalived: str, frontends: str) -> None:
    (folder / host).mkdir(parents=True)
    (folder / host / "keepalived.conf").write_text(keepalived)
    (folder / host / "haproxy.cfg").write_text(HAPROXY.format(frontends=frontends))


def _dual_stack(folder: Path) -> Path:
    for host, state, priority, me, peer in (
        ("lb1", "MASTER", 150, "198.18.0.10", "198.18.0.11"),
        ("lb2", "BACKUP", 100, "198.18.0.11", "198.18.0.10"),
    ):
        keepalived = DUAL_STACK.format(host=host, state=state, priority=priority, me=me, peer=peer)
        _write(folder, host, keepalived, WEB + WEB6)
    return folder


def _two_pairs(folder: Path) -> Path:
    """lb1+lb2 carry edge (eth0), lb3+lb2 carry internal; lb3's interface is eth1."""
    edge = {"name": "edge", "vrid": 51, "vip": "198.18.0.100/24"}
    internal = {"name": "internal", "vrid": 52, "vip": "198.18.0.110/24"}
    lb1 = INSTANCE.format(
        **edge, state="MASTER", interface="eth0", priority=150, me="198.18.0.10", peer="198.18.0.11"
    )
    lb2 = INSTANCE.format(
        **edge, state="BACKUP", interface="eth0", priority=100, me="198.18.0.11", peer="198.18.0.10"
    ) + INSTANCE.format(
        **internal,
        state="BACKUP",
        interface="eth0",
        priority=100,
        me="198.18.0.11",
        peer="198.18.0.12",
    )
    lb3 = INSTANCE.format(
        **internal,
        state="MASTER",
        interface="eth1",
        priority=150,
        me="198.18.0.12",
        peer="198.18.0.11",
    )
    _write(folder, "lb1", lb1, WEB)
    _write(folder, "lb2", lb2, WEB + API)
    _write(folder, "lb3", lb3, API)
    return folder


def _rendered_import_loads(result: ImportResult) -> None:
    model = validate_data(yaml.safe_load(result.yaml_text)).model
    check_rendered(render_model(model)).raise_for_failures()


@pytest.fixture(scope="module")
def dual_stack(tmp_path_factory: pytest.TempPathFactory) -> ImportResult:
    return import_dir(_dual_stack(tmp_path_factory.mktemp("dual")), prove=True)


@pytest.fixture(scope="module")
def two_pairs(tmp_path_factory: pytest.TempPathFactory) -> ImportResult:
    return import_dir(_two_pairs(tmp_path_factory.mktemp("two")), prove=True)


def test_an_ipv6_instance_pairs_across_the_hosts_as_a_pair_of_its_own(
    dual_stack: ImportResult,
) -> None:
    v4, v6 = dual_stack.model["vip_pairs"]
    assert (v6["name"], v6["hosts"], v6["virtual_router_id"]) == ("VI_6", ["lb1", "lb2"], 61)
    assert v6["vips"] == ["2001:db8:2::200/64"]
    assert (v6["vrrp_version"], v6["unicast"]) == (3, False)
    assert (v4["virtual_router_id"], v4["unicast"]) == (51, True)
    (web6,) = [fe for fe in dual_stack.model["frontends"] if fe["name"] == "web6"]
    assert web6["vip_pair"] == "VI_6"
    assert dual_stack.exit_status == 0, dual_stack.report.lines()


def test_excluded_vips_are_the_pairs_vips_left_out_of_the_adverts(
    dual_stack: ImportResult,
) -> None:
    v4 = dual_stack.model["vip_pairs"][0]
    assert v4["vips"] == ["198.18.0.100/24", "198.18.0.101/24"]
    assert v4["keepalived"]["advertised_vips"] == "first"


def test_garp_lines_keep_keepalived_defaults_for_the_ones_left_out(
    dual_stack: ImportResult,
) -> None:
    v4, v6 = dual_stack.model["vip_pairs"]
    # garp_master_refresh 30 alone: keepalived's own delay (5 s) and repeat (5) stay.
    assert v4["keepalived"]["garp"] == {
        "master_delay": "5s",
        "master_repeat": 5,
        "master_refresh": "30s",
    }
    assert "keepalived" not in v6
    assert dual_stack.model["settings"]["keepalived"] == {"garp_interval": "10ms"}


def test_the_dual_stack_import_renders_what_keepalived_and_haproxy_load(
    dual_stack: ImportResult,
) -> None:
    _rendered_import_loads(dual_stack)


def test_the_dual_stack_import_keeps_each_hosts_vips_and_priorities(
    dual_stack: ImportResult, tmp_path: Path
) -> None:
    model = validate_data(yaml.safe_load(dual_stack.yaml_text)).model
    rendered = {h.host: h.files["keepalived.conf"] for h in render_model(model).hosts}
    original = _dual_stack(tmp_path)
    for host in ("lb1", "lb2"):
        before = read_keepalived_conf((original / host / "keepalived.conf").read_text())
        after = read_keepalived_conf(rendered[host])
        assert [(tuple(v.address for v in i.vips), i.interface) for i in after.instances] == [
            (tuple(v.address for v in i.vips), i.interface) for i in before.instances
        ]
        assert [i.priority for i in after.instances] == [i.priority for i in before.instances]


def test_a_host_in_two_pairs_pairs_with_each_partner(two_pairs: ImportResult) -> None:
    pairs = {p["name"]: p["hosts"] for p in two_pairs.model["vip_pairs"]}
    assert pairs == {"edge": ["lb1", "lb2"], "internal": ["lb3", "lb2"]}
    hosts = {h["name"]: h["interface"] for h in two_pairs.model["lb_hosts"]}
    assert hosts == {"lb1": "eth0", "lb2": "eth0", "lb3": "eth1"}


def test_each_pairs_frontends_are_imported_from_the_hosts_that_run_them(
    two_pairs: ImportResult,
) -> None:
    frontends = {fe["name"]: fe["vip_pair"] for fe in two_pairs.model["frontends"]}
    assert frontends == {"web": "edge", "api": "internal"}
    # Each host runs exactly its pairs' frontends: nothing differs between the hosts.
    assert two_pairs.exit_status == 0, two_pairs.report.lines()


def test_the_two_pairs_import_renders_what_keepalived_and_haproxy_load(
    two_pairs: ImportResult,
) -> None:
    _rendered_import_loads(two_pairs)


def test_a_host_missing_a_frontend_of_its_pair_is_reported(tmp_path: Path) -> None:
    folder = _two_pairs(tmp_path)
    (folder / "lb2/haproxy.cfg").write_text(HAPROXY.format(frontends=WEB))
    result = import_hosts(read_dir(folder))
    differs = [str(i) for i in result.report.items if i.outcome == "differs"]
    assert "differs: lb3/haproxy.cfg:11: frontend api -- not in lb2/haproxy.cfg" in differs
    assert result.report.exit_status == 1


def test_three_hosts_sharing_one_router_id_in_multicast_are_reported(tmp_path: Path) -> None:
    def instance(name: str, vrid: int, vip: str, me: str, peer: str) -> str:
        return INSTANCE.format(
            name=name,
            vrid=vrid,
            vip=vip,
            state="BACKUP",
            interface="eth0",
            priority=100,
            me=me,
            peer=peer,
        )

    def shared(me: str) -> str:
        # Multicast adverts: no unicast peers, so three hosts are one VRRP group.
        text = instance("VI_1", 51, "198.18.0.110/24", me, "")
        return text.replace("    unicast_peer {\n        \n    }\n", "")

    pair = ("VI_2", 52, "198.18.0.100/24")
    _write(
        tmp_path, "lb1", shared("198.18.0.10") + instance(*pair, "198.18.0.10", "198.18.0.11"), WEB
    )
    _write(
        tmp_path, "lb2", shared("198.18.0.11") + instance(*pair, "198.18.0.11", "198.18.0.10"), WEB
    )
    _write(tmp_path, "lb3", shared("198.18.0.12"), WEB)
    result = import_hosts(read_dir(tmp_path))
    assert [p["name"] for p in result.model["vip_pairs"]] == ["VI_2"]
    dropped = [i for i in result.report.items if i.text == "vrrp_instance VI_1"]
    assert [(i.outcome, i.where.file if i.where else "") for i in dropped] == [
        ("dropped", "lb1/keepalived.conf"),
        ("dropped", "lb2/keepalived.conf"),
        ("dropped", "lb3/keepalived.conf"),
    ]


def test_a_weightless_haproxy_check_keeps_the_fault_state(tmp_path: Path) -> None:
    folder = _dual_stack(tmp_path)
    for host in ("lb1", "lb2"):
        conf = folder / host / "keepalived.conf"
        conf.write_text(conf.read_text().replace("    weight -40\n", ""))
    result = import_hosts(read_dir(folder))
    assert [p["track_weight"] for p in result.model["vip_pairs"]] == [0, 0]


def test_a_host_whose_two_pairs_use_two_interfaces_is_reported(tmp_path: Path) -> None:
    folder = _two_pairs(tmp_path)
    conf = folder / "lb2/keepalived.conf"
    edge, internal = conf.read_text().split("vrrp_instance internal")
    conf.write_text(edge + "vrrp_instance internal" + internal.replace("eth0", "eth1"))
    result = import_hosts(read_dir(folder))
    differs = [str(i) for i in result.report.items if i.outcome == "differs"]
    assert differs == [
        "differs: lb2/keepalived.conf:15: vrrp_instance internal interface eth1 -- the model "
        "sends lb2's adverts on eth0 (lb_hosts interface)"
    ]


def test_a_stats_page_belongs_to_its_pairs_hosts_only(tmp_path: Path) -> None:
    folder = _two_pairs(tmp_path)
    stats = "\nlisten stats\n    bind 198.18.0.100:8404\n    stats enable\n    stats uri /stats\n"
    for host in ("lb1", "lb2"):
        cfg = folder / host / "haproxy.cfg"
        cfg.write_text(cfg.read_text() + stats)
    result = import_hosts(read_dir(folder))
    assert [p["vip_pair"] for p in result.model["stats_pages"]] == ["edge"]
    assert result.report.exit_status == 0, result.report.lines()
