"""keepalived.conf files as pairs run them, which `keepalived -t` complains of: the import
carries what keepalived actually does, and lbctl's rendering passes `keepalived -t`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controlplane.check import check_rendered
from controlplane.config_import.report import ImportRefused
from controlplane.model.loader import validate_data
from controlplane.render import render_model
from controlplane.usecases.config_import import import_dir
from tests.config_import.handwritten_pair import needs_tools

HAPROXY = """global
    log /dev/log local0

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 198.18.0.100:80
    default_backend app

backend app
    server app1 198.18.0.20:8080
"""

# No enable_script_security, a password longer than VRRP's 8 characters, nopreempt on the
# MASTER, a script without an absolute path, the instance's own interface tracked: each
# makes `keepalived -t` exit 5, and keepalived runs the file all the same.
KEEPALIVED = """global_defs {{
    router_id {host}
}}

vrrp_script chk_port {{
    script "</dev/tcp/127.0.0.1/80"
    interval 2
    weight -60
}}

vrrp_script chk_app {{
    script "/usr/local/bin/check-app"
    interval 2
    weight -60
}}

vrrp_instance VI_1 {{
    state {state}
    interface eth0
    virtual_router_id 51
    priority {priority}
    nopreempt
    advert_int 1
    unicast_src_ip {me}
    unicast_peer {{
        {peer}
    }}
    authentication {{
        auth_type PASS
        auth_pass averylongsecret
    }}
    virtual_ipaddress {{
        198.18.0.100/24 dev eth0
    }}
    track_interface {{
        eth0
    }}
    track_script {{
        chk_port
        chk_app
    }}
}}
"""


Host = tuple[str, str, int, str, str]  # name, state, priority, its address, the peer's
PAIR: tuple[Host, ...] = (
    ("lb1", "MASTER", 150, "198.18.0.10", "198.18.0.11"),
    ("lb2", "BACKUP", 100, "198.18.0.11", "198.18.0.10"),
)


def _pair(folder: Path, keepalived: str = KEEPALIVED, hosts: tuple[Host, ...] = PAIR) -> Path:
    """Write both hosts' files from a keepalived.conf template (host, state, priority...)."""
    for host, state, priority, me, peer in hosts:
        (folder / host).mkdir(parents=True)
        (folder / host / "haproxy.cfg").write_text(HAPROXY)
        (folder / host / "keepalived.conf").write_text(
            keepalived.format(host=host, state=state, priority=priority, me=me, peer=peer)
        )
    return folder


@needs_tools
def test_what_keepalived_only_warns_of_is_imported_as_keepalived_runs_it(tmp_path: Path) -> None:
    result = import_dir(_pair(tmp_path), prove=True)
    (pair,) = result.model["vip_pairs"]
    # keepalived clears nopreempt on the MASTER, and uses the password's first 8 characters.
    assert pair["preempt"] is True
    assert pair["authentication"]["password"] == "averylon"
    options = pair["keepalived"]
    assert "track_interfaces" not in options
    assert [s["command"] for s in options["track_scripts"]] == ["/usr/local/bin/check-app"]
    report = "\n".join(str(item) for item in result.report.items)
    assert "nopreempt -- keepalived ignores nopreempt with state MASTER" in report
    assert "auth_pass -- keepalived uses its first 8 characters" in report
    assert "track_interface eth0 -- a host's own VRRP interface" in report
    assert "dropped: lb1/keepalived.conf:5: vrrp_script chk_port -- must start with" in report
    assert "averylongsecret" not in report
    assert result.report.exit_status == 1  # a track script is gone
    rendered = render_model(validate_data(yaml.safe_load(result.yaml_text)).model)
    check_rendered(rendered).raise_for_failures()


# What keepalived skips or defaults and runs all the same: a removed keyword, a misspelt one,
# an smtp_server by name, an LVS virtual_server, a state it does not know, a priority out of
# range. Each makes `keepalived -t` exit 5.
SKIPPED = """global_defs {{
    router_id {host}
    smtp_server mail.example.invalid
    garp_master_delay 3
}}

vrrp_instance VI_1 {{
    state {state}
    interface eth0
    virtual_router_id 51
    priority {priority}
    advert_int 1
    lvs_sync_daemon_inteface eth0
    unicast_src_ip {me}
    unicast_peer {{
        {peer}
    }}
    virtual_ipaddress {{
        198.18.0.100/24
    }}
}}

virtual_server 198.18.0.100 53 {{
    protocol UDP
    real_server 198.18.0.20 53 {{
    }}
}}
"""


def _skipping_pair(folder: Path, vrid: int = 51) -> Path:
    hosts = (
        ("lb1", "PEER", 500, "198.18.0.10", "198.18.0.11"),
        ("lb2", "BACKUP", 90, "198.18.0.11", "198.18.0.10"),
    )
    keepalived = SKIPPED.replace("virtual_router_id 51", f"virtual_router_id {vrid}")
    return _pair(folder, keepalived, hosts)


@needs_tools
def test_lines_keepalived_skips_are_imported_as_skipped(tmp_path: Path) -> None:
    result = import_dir(_skipping_pair(tmp_path), prove=True)
    (pair,) = result.model["vip_pairs"]
    report = "\n".join(str(item) for item in result.report.items)
    assert (
        "translated: lb1/keepalived.conf:8: state PEER -- keepalived starts it as BACKUP" in report
    )
    assert "translated: lb1/keepalived.conf:11: priority 500 -- keepalived uses 100" in report
    for line in (3, 4, 13, 23):
        assert f"dropped: lb1/keepalived.conf:{line}:" in report
    # keepalived runs lb1 at 100 against lb2's 90: lb1 is the preferred master.
    assert pair["hosts"][0] == "lb1"
    rendered = render_model(validate_data(yaml.safe_load(result.yaml_text)).model)
    check_rendered(rendered).raise_for_failures()


@needs_tools
def test_a_line_the_model_keeps_is_not_excused(tmp_path: Path) -> None:
    # keepalived refuses the router id and the import would model it: the original is wrong.
    with pytest.raises(ImportRefused, match=r"Line 10\) number '300' outside range"):
        import_dir(_skipping_pair(tmp_path, vrid=300), prove=True)


# An empty block, a garp interval of 0 (keepalived keeps its default), a notify chain written
# for a shell keepalived does not use, notify scripts after the first (keepalived ignores them).
CHAINED = """global_defs {{
    notification_email {{
    }}
    router_id {host}
    vrrp_garp_interval 0
}}

vrrp_instance VI_1 {{
    state {state}
    interface eth0
    virtual_router_id 51
    priority {priority}
    unicast_src_ip {me}
    unicast_peer {{
        {peer}
    }}
    virtual_ipaddress {{
        198.18.0.100/24
    }}
    notify_master "/usr/local/bin/promote.sh && /usr/local/bin/announce.sh"
    notify /usr/local/bin/first.sh
    notify /usr/local/bin/second.sh
}}
"""


@needs_tools
def test_chains_and_zero_intervals_are_dropped_as_keepalived_skips_them(tmp_path: Path) -> None:
    result = import_dir(_pair(tmp_path, CHAINED), prove=True)
    report = "\n".join(str(item) for item in result.report.items)
    assert "dropped: lb1/keepalived.conf:5: vrrp_garp_interval 0 -- keepalived refuses" in report
    assert "dropped: lb1/keepalived.conf:20: notify_master" in report and "'&&'" in report
    (pair,) = result.model["vip_pairs"]
    assert "notify" not in pair.get("keepalived", {})
    rendered = render_model(validate_data(yaml.safe_load(result.yaml_text)).model)
    check_rendered(rendered).raise_for_failures()
