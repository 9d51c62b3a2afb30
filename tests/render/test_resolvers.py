"""Resolvers sections, servers that follow DNS and server templates, proven by haproxy -c.

`haproxy -c` runs in a sandbox without network: a pool's servers by DNS name carry
`init-addr last,libc,none` and templates `init-addr last,none`, so HAProxy proves every
line and gives the names no address yet, as it would start on a host whose DNS is down.
"""

from __future__ import annotations

from typing import Any

from controlplane.check import check_rendered
from controlplane.model import validate_data
from controlplane.render import Rendered, render_model
from tests.support import needs_binaries

CONSUL_SRV = "_http._tcp.app.service.consul"


def with_consul(example: dict[str, Any]) -> dict[str, Any]:
    example["resolvers"] = [
        {
            "name": "consul",
            "nameservers": [
                {"address": "127.0.0.1", "port": 8600},
                {"address": "2001:db8::53"},
            ],
            "hold": {"valid": "5s"},
            "timeouts": {"resolve": "500ms"},
        }
    ]
    pool = example["pools"][0]
    pool["resolvers"] = "consul"
    pool["servers"][0]["address"] = "app1.node.consul"
    pool["server_templates"] = [
        {"name": "web", "count": 5, "dns_name": CONSUL_SRV},
        {"name": "api", "count": 2, "dns_name": "api.service.consul", "port": 9443, "tls": True},
    ]
    return example


def rendered(document: dict[str, Any]) -> Rendered:
    return render_model(validate_data(document).model)


def haproxy_cfg(document: dict[str, Any], host: int = 0) -> str:
    return rendered(document).hosts[host].files["haproxy.cfg"]


def test_a_resolvers_section_prints_every_setting(example) -> None:
    assert (
        "resolvers consul\n"
        "    nameserver ns1 127.0.0.1:8600\n"
        "    nameserver ns2 [2001:db8::53]:53\n"
        "    accepted_payload_size 8192\n"
        "    resolve_retries 3\n"
        "    timeout resolve 500ms\n"
        "    timeout retry 1s\n"
        "    hold valid 5s\n"
        "    hold nx 30s\n"
        "    hold other 30s\n"
        "    hold refused 30s\n"
        "    hold timeout 30s\n"
        "\n"
    ) in haproxy_cfg(with_consul(example))


def test_a_server_by_name_follows_dns_and_an_address_does_not(example) -> None:
    text = haproxy_cfg(with_consul(example))
    assert (
        "    server app1 app1.node.consul:8080 check weight 100 resolvers consul "
        "resolve-prefer ipv4 init-addr last,libc,none\n"
    ) in text
    assert "    server app2 198.18.0.21:8080 check weight 50\n" in text


def test_templates_take_the_pools_server_options(example) -> None:
    text = haproxy_cfg(with_consul(example))
    assert (
        f"    server-template web 5 {CONSUL_SRV} check weight 100 resolvers consul "
        "resolve-prefer ipv4 init-addr last,none\n"
    ) in text
    assert (
        "    server-template api 2 api.service.consul:9443 check weight 100 ssl verify required "
        "ca-file @system-ca resolvers consul resolve-prefer ipv4 init-addr last,none\n"
    ) in text


def test_a_resolver_no_served_pool_uses_is_not_rendered(example) -> None:
    with_consul(example)
    example["resolvers"].append({"name": "spare", "nameservers": [{"address": "198.18.0.53"}]})
    assert "resolvers spare" not in haproxy_cfg(example)


def test_without_resolvers_a_dns_name_renders_as_before(example) -> None:
    example["pools"][0]["servers"][0]["address"] = "app1.internal"
    text = haproxy_cfg(example)
    assert "    server app1 app1.internal:8080 check weight 100\n" in text
    assert "resolvers" not in text


def test_resolve_prefer_ipv6(example) -> None:
    with_consul(example)
    example["pools"][0]["resolve_prefer"] = "ipv6"
    assert "resolve-prefer ipv6 init-addr last,libc,none" in haproxy_cfg(example)


@needs_binaries
def test_resolvers_and_templates_pass_haproxy_c_without_network(example) -> None:
    with_consul(example)
    example["pools"][0]["servers"].append(
        {"name": "app9", "address": "unresolvable.invalid", "port": 8080}
    )
    report = check_rendered(rendered(example))
    assert report.failures == []
    assert [w for c in report.checks for w in c.warnings] == []
    haproxy = [c for c in report.checks if c.file == "haproxy.cfg"]
    # Lines that already say init-addr are proven as rendered, not stood in for.
    assert all(
        not {"app1.node.consul", "unresolvable.invalid"} & set(c.substituted) for c in haproxy
    )


@needs_binaries
def test_a_pool_of_templates_only_passes_haproxy_c(example) -> None:
    with_consul(example)
    example["pools"][0]["servers"] = []
    report = check_rendered(rendered(example))
    assert report.failures == []


@needs_binaries
def test_a_resolver_may_ask_the_hosts_resolv_conf(example) -> None:
    # Containers learn their DNS servers from /etc/resolv.conf: HAProxy reads it at start and
    # on each reload; the local proof's sandbox shows it a stand-in.
    document = with_consul(example)
    document["resolvers"][0] |= {"nameservers": [], "parse_resolv_conf": True}
    cfg = haproxy_cfg(document)
    assert "resolvers consul\n    parse-resolv-conf\n    accepted_payload_size 8192\n" in cfg
    check_rendered(rendered(document)).raise_for_failures()
    document["resolvers"][0]["nameservers"] = [{"address": "127.0.0.1", "port": 8600}]
    assert "    nameserver ns1 127.0.0.1:8600\n    parse-resolv-conf\n" in haproxy_cfg(document)
