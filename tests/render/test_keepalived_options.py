"""What a pair's keepalived options and IPv6 VIPs print, proven by the real keepalived -t."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest

from controlplane.check import _in_private_netns, check_rendered
from controlplane.render import render_model
from controlplane.rendered_config import read_keepalived_conf
from controlplane.sandbox import SANDBOX_DIR, sandboxed
from tests.support import MODELS, load_yaml, needs_binaries, valid

FULL = load_yaml(MODELS / "keepalived_options.yaml")


def keepalived_conf(doc: dict[str, Any], host: str = "lb1") -> str:
    return render_model(valid(doc).model).host(host).files["keepalived.conf"]


def instance_block(conf: str, name: str) -> list[str]:
    lines = conf.split("\n")
    start = lines.index(f"vrrp_instance {name} {{")
    return [line.strip() for line in lines[start : lines.index("}", start)]]


@pytest.fixture
def doc() -> dict[str, Any]:
    return copy.deepcopy(FULL)


def test_the_pair_s_scripts_run_beside_lbctl_s_check_and_hook(doc: dict) -> None:
    block = instance_block(keepalived_conf(doc), "edge")
    track = block[block.index("track_script {") + 1 :]
    assert track[:3] == ["chk_haproxy weight -60", "edge:db weight -20", "edge:disk weight 0"]
    # lbctl's hook keeps `notify` (the VRRP state reports read what it records).
    assert "notify /usr/local/libexec/lbctl/vrrp-notify" in block
    assert 'notify_master "/usr/local/bin/on-vrrp master edge"' in block
    assert 'notify_stop "/usr/local/bin/on-vrrp-stop"' in block


def test_a_track_script_block_carries_its_timings(doc: dict) -> None:
    conf = keepalived_conf(doc)
    lines = conf.split("\n")
    start = lines.index("vrrp_script edge:db {")
    assert lines[start + 1 : start + 7] == [
        '    script "/usr/local/bin/check-db --port 5432"',
        "    interval 2",
        "    timeout 1",
        "    rise 2",
        "    fall 3",
        "}",
    ]


def test_first_only_adverts_exclude_every_other_vip_on_the_vip_interface(doc: dict) -> None:
    block = instance_block(keepalived_conf(doc), "edge")
    at = block.index("virtual_ipaddress {")
    assert block[at : at + 7] == [
        "virtual_ipaddress {",
        "198.18.0.100/24 dev eth1",
        "}",
        "virtual_ipaddress_excluded {",
        "198.18.0.101/24 dev eth1",
        "2001:2::100/64 dev eth1",
        "}",
    ]


def test_adding_a_vip_with_first_only_adverts_leaves_the_adverts_as_they_were(doc: dict) -> None:
    before = instance_block(keepalived_conf(doc), "edge")
    doc["vip_pairs"][0]["vips"].append("198.18.0.102/24")
    after = instance_block(keepalived_conf(doc), "edge")
    advertised = [ln for ln in after if ln.endswith("dev eth1")][:1]
    assert advertised == ["198.18.0.100/24 dev eth1"]
    assert [ln for ln in after if ln not in before] == ["198.18.0.102/24 dev eth1"]


def test_an_ipv6_vip_beside_ipv4_ones_is_excluded_from_the_ipv4_adverts(doc: dict) -> None:
    doc["vip_pairs"][0].pop("keepalived")
    block = instance_block(keepalived_conf(doc), "edge")
    at = block.index("virtual_ipaddress {")
    assert block[at : at + 7] == [
        "virtual_ipaddress {",
        "198.18.0.100/24 dev eth0",
        "198.18.0.101/24 dev eth0",
        "}",
        "virtual_ipaddress_excluded {",
        "2001:2::100/64 dev eth0",
        "}",
    ]


def test_an_ipv6_only_instance_advertises_its_ipv6_vip_by_multicast(doc: dict) -> None:
    block = instance_block(keepalived_conf(doc), "v6:1")
    assert "version 3" in block and not any(ln.startswith("unicast") for ln in block)
    assert block[block.index("virtual_ipaddress {") + 1] == "2001:2::200/64 dev eth0"


def test_a_frontend_binds_an_ipv6_vip_in_brackets(doc: dict) -> None:
    cfg = render_model(valid(doc).model).host("lb1").files["haproxy.cfg"]
    assert "    bind [2001:2::100]:80" in cfg.split("\n")
    assert "    bind [2001:2::201]:8080" in cfg.split("\n")


def test_garp_defaults_print_what_lbctl_always_printed(doc: dict) -> None:
    doc["vip_pairs"][0]["keepalived"] = {"track_interfaces": [{"name": "eth1"}]}
    block = instance_block(keepalived_conf(doc), "edge")
    assert block[-3:] == ["garp_master_delay 1", "garp_master_repeat 3", "garp_master_refresh 60"]


def test_global_garp_intervals_print_decimal_seconds(doc: dict) -> None:
    conf = keepalived_conf(doc)
    assert "    vrrp_garp_interval 0.001\n    vrrp_gna_interval 0.0005\n}" in conf


def test_rendered_config_reads_excluded_vips_and_tracked_interfaces(doc: dict) -> None:
    read = read_keepalived_conf(keepalived_conf(doc))
    assert read.vip_instances["2001:2::100/64"] == "edge"
    assert read.vip_instances["198.18.0.101/24"] == "edge"
    assert set(read.interfaces) == {"eth0", "eth1", "eth2"}


@needs_binaries
def test_every_option_passes_keepalived_t_with_the_pair_s_scripts_stood_in(doc: dict) -> None:
    report = check_rendered(render_model(valid(doc).model))
    assert report.failures == []
    keepalived = [c for c in report.checks if c.file == "keepalived.conf"]
    assert all(
        c.substituted == ["/usr/local/bin/check-db", "/usr/local/sbin/check-disk"]
        for c in keepalived
    )


@needs_binaries
def test_keepalived_t_without_the_stand_in_refuses_a_script_it_cannot_find(
    doc: dict, tmp_path: Path
) -> None:
    # What the host-side keepalived -t of a deploy says when a pair's script is missing.
    (tmp_path / "keepalived.conf").write_text(keepalived_conf(doc))
    tmp_path.chmod(0o755)
    interfaces = list(read_keepalived_conf(keepalived_conf(doc)).interfaces)
    argv = [
        "keepalived", "--config-test", f"--use-file={SANDBOX_DIR}/keepalived.conf", "--log-console"
    ]  # fmt: skip
    proc = subprocess.run(
        _in_private_netns(interfaces, sandboxed(argv, tmp_path, own_network=False)),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "Disabling track script edge:db since not found" in proc.stdout + proc.stderr


@needs_binaries
def test_every_allowed_argument_character_passes_keepalived_t(doc: dict) -> None:
    doc["vip_pairs"][0]["keepalived"]["track_scripts"][0]["command"] = (
        "/usr/local/bin/check-db a.b_c/d+e=f:g,h%i@j-k"
    )
    doc["vip_pairs"][0]["keepalived"]["notify"]["master"] = "/usr/local/bin/x a.b_c/d+e=f:g,h%i@j-k"
    report = check_rendered(render_model(valid(doc).model))
    assert report.failures == [] and [w for c in report.checks for w in c.warnings] == []
