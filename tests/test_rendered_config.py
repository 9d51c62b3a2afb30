"""Rendered files read back: what the reader finds is what the model said to render."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import given, settings

from controlplane.model import LbModel, load_model_file, validate_data
from controlplane.render import (
    HAPROXY_FILE,
    KEEPALIVED_FILE,
    haproxy_context,
    host_pairs,
    keepalived_context,
    render_model,
)
from controlplane.rendered_config import (
    Server,
    Vip,
    VrrpInstance,
    read_haproxy_cfg,
    read_keepalived_conf,
)
from tests.model.strategies import valid_documents
from tests.support import MODELS


@pytest.mark.parametrize("name", sorted(p.stem for p in MODELS.glob("*.yaml")))
def test_the_golden_models_read_back_as_rendered(name: str) -> None:
    assert_reads_back(load_model_file(MODELS / f"{name}.yaml").model)


@settings(max_examples=max(10, settings.default.max_examples // 3))
@given(document=valid_documents())
def test_generated_models_read_back_as_rendered(document: dict[str, Any]) -> None:
    assert_reads_back(validate_data(document).model)


def assert_reads_back(model: LbModel) -> None:
    for host in render_model(model).hosts:
        haproxy = read_haproxy_cfg(host.files[HAPROXY_FILE])
        keepalived = read_keepalived_conf(host.files[KEEPALIVED_FILE])
        assert [s.header for s in haproxy.sections] == section_headers(model, host.host)
        assert {k: served(s) for k, s in haproxy.servers.items()} == model_servers(model, host.host)
        assert {c.path for c in haproxy.certificates} == certificate_files(model, host.host)
        assert [read(i) for i in keepalived.instances] == vrrp_instances(model, host.host)
        assert keepalived.interfaces == keepalived_interfaces(model, host.host)


def section_headers(model: LbModel, host: str) -> list[str]:
    ctx = haproxy_context(model, host)
    return [
        "global",
        "defaults",
        *(f"userlist {u.name}" for u in ctx.userlists),
        *(f"peers {p.name}" for p in ctx.peers),
        *(f"resolvers {r.name}" for r in ctx.resolvers),
        "frontend lbctl:monitor",
        "frontend lbctl:metrics",
        *(f"listen {s.name}" for s in ctx.stats_pages),
        *(f"frontend {f.name}" for f in ctx.frontends),
        *(f"backend {b.name}" for b in ctx.backends),
    ]


def served(server: Server) -> tuple[str, int, bool, bool, str | None]:
    return server.address, server.weight, server.disabled, server.tls, server.dns_name


def model_servers(model: LbModel, host: str) -> dict[str, tuple[str, int, bool, bool, str | None]]:
    """Return what each server of the host's pools says, keyed `backend/server`."""
    pools = {p.name: p for p in model.pools}
    found = {}
    for backend in haproxy_context(model, host).backends:
        for s in pools[backend.name].servers:
            literal = _is_ip(s.address)
            address = f"[{s.address}]" if ":" in s.address else s.address
            weight = 0 if s.state == "drain" else s.weight
            found[f"{backend.name}/{s.name}"] = (
                f"{address}:{s.port}",
                weight,
                s.state == "maint",
                s.tls,
                None if literal else s.address,
            )
    return found


def certificate_files(model: LbModel, host: str) -> set[str]:
    """Return the frontends' certificates and the CA files of pools with a TLS server."""
    pairs = {p.name for p in host_pairs(model, host)}
    served = {b.name for b in haproxy_context(model, host).backends}
    found = {fe.tls.certificate for fe in model.frontends if fe.vip_pair in pairs and fe.tls}
    for pool in model.pools:
        verified = pool.tls_verify == "required" and any(s.tls for s in pool.servers)
        # @system-ca is HAProxy's own store, not a file.
        if pool.name in served and verified and pool.tls_ca_file.startswith("/"):
            found.add(pool.tls_ca_file)
    return found


def read(instance: VrrpInstance) -> tuple[str, str, int | None, bool, list[str]]:
    vips = [f"{v.address} dev {v.interface}" for v in instance.vips]
    return instance.name, instance.interface, instance.priority, instance.nopreempt, vips


def keepalived_interfaces(model: LbModel, host: str) -> tuple[str, ...]:
    """The host's interface, and a pair's VIP interface and tracked interfaces."""
    pairs = host_pairs(model, host)
    if not pairs:
        return ()
    found = {next(h.interface for h in model.lb_hosts if h.name == host)}
    for options in (p.keepalived for p in pairs if p.keepalived):
        found |= {options.vip_interface} if options.vip_interface else set()
        found |= {t.name for t in options.track_interfaces}
    return tuple(sorted(found))


def vrrp_instances(model: LbModel, host: str) -> list[tuple[str, str, int | None, bool, list[str]]]:
    return [
        (i.name, i.interface, i.priority, i.nopreempt, i.vips + i.excluded_vips)
        for i in keepalived_context(model, host).instances
    ]


def _is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


# --- what the reader takes from a line ---------------------------------------------------

HAPROXY = """\
# haproxy.cfg for lb1, rendered by lbctl.

global
    log /dev/log local0

frontend web
    bind 198.18.0.100:443 ssl crt /etc/haproxy/certs/web.pem alpn h2
    default_backend app

# a comment between sections belongs to none
backend app
    balance roundrobin
    server a1 198.18.0.21:8080 check weight 0 backup
    server a2 [2001:db8::2]:8443 check weight 50 disabled ssl verify required ca-file /etc/ca.pem
    server a3 app.internal:80
"""


def test_a_server_line_gives_its_weight_its_state_and_its_other_options() -> None:
    servers = read_haproxy_cfg(HAPROXY).servers
    assert servers["app/a1"] == Server("a1", "198.18.0.21:8080", 0, False, ("check", "backup"), 13)
    assert servers["app/a2"].disabled and servers["app/a2"].tls
    assert servers["app/a2"].options == (
        "check",
        "ssl",
        "verify",
        "required",
        "ca-file",
        "/etc/ca.pem",
    )
    assert servers["app/a3"].weight == 1  # HAProxy's default


def test_only_a_server_given_by_name_has_a_dns_name() -> None:
    servers = read_haproxy_cfg(HAPROXY).servers
    assert [s.dns_name for s in servers.values()] == [None, None, "app.internal"]


def test_comments_and_blank_lines_belong_to_no_section() -> None:
    sections = read_haproxy_cfg(HAPROXY).sections
    assert [s.header for s in sections] == ["global", "frontend web", "backend app"]
    assert sections[2].settings == ("balance roundrobin",)
    assert sections[2].kind == "backend" and sections[2].name == "app"


def test_a_certificate_path_is_found_at_its_line_and_column() -> None:
    lines = HAPROXY.split("\n")
    certificates = read_haproxy_cfg(HAPROXY).certificates
    assert [c.path for c in certificates] == ["/etc/haproxy/certs/web.pem", "/etc/ca.pem"]
    for c in certificates:
        assert lines[c.line - 1][c.column :].startswith(c.path)
    assert [c.line for c in certificates] == [7, 14]


KEEPALIVED = """\
vrrp_instance edge:1 {
    interface eth0
    priority 150
    nopreempt
    virtual_ipaddress {
        198.18.0.100/24 dev eth0
    }
}
    198.18.0.200/24 dev eth1

vrrp_instance edge:2 {
    interface eth0
    virtual_ipaddress {
        198.18.0.101/24 dev eth0
    }
}
"""


def test_a_vrrp_instance_ends_at_its_closing_brace() -> None:
    conf = read_keepalived_conf(KEEPALIVED)
    assert conf.instances == (
        VrrpInstance("edge:1", "eth0", 150, True, (Vip("198.18.0.100/24", "eth0", 6),)),
        VrrpInstance("edge:2", "eth0", None, False, (Vip("198.18.0.101/24", "eth0", 14),)),
    )
    assert conf.vip_instances == {"198.18.0.100/24": "edge:1", "198.18.0.101/24": "edge:2"}


def test_every_interface_the_file_names_is_found() -> None:
    assert read_keepalived_conf(KEEPALIVED).interfaces == ("eth0", "eth1")
