"""Resolvers, servers that follow DNS and server templates: fields and cross-object rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import model_errors, valid

CONSUL_SRV = "_http._tcp.app.service.consul"


def with_resolver(example: dict[str, Any], **pool: Any) -> dict[str, Any]:
    example["resolvers"] = [{"name": "dc", "nameservers": [{"address": "198.18.0.53"}]}]
    example["pools"][0].update(pool)
    return example


def test_a_pool_with_a_resolver_and_templates_is_valid(example):
    with_resolver(
        example,
        resolvers="dc",
        server_templates=[{"name": "web", "count": 5, "dns_name": CONSUL_SRV}],
    )
    model = valid(example).model
    assert model.resolvers[0].nameservers[0].port == 53
    assert model.pools[0].server_templates[0].count == 5


def test_templates_alone_fill_a_pool(example):
    with_resolver(
        example,
        resolvers="dc",
        servers=[],
        server_templates=[{"name": "web", "count": 3, "dns_name": CONSUL_SRV}],
    )
    assert model_errors(example) == []


def test_unknown_resolver_names_the_pool_field(example):
    with_resolver(example, resolvers="dc2")
    assert model_errors(example) == ["pools[app].resolvers: unknown resolver 'dc2' (known: 'dc')"]


def test_srv_templates_need_a_resolver(example):
    example["pools"][0]["server_templates"] = [{"name": "web", "count": 2, "dns_name": CONSUL_SRV}]
    [error] = model_errors(example)
    assert error.startswith("pools[app].server_templates: slots are filled by DNS at runtime")


def test_resolve_prefer_without_resolvers_is_an_error(example):
    example["pools"][0]["resolve_prefer"] = "ipv6"
    assert model_errors(example) == [
        "pools[app].resolve_prefer: applies only with resolvers: name one"
    ]


def test_a_dns_named_server_without_resolver_resolves_only_at_start(example):
    example["pools"][0]["servers"][0]["address"] = "app1.internal"
    warnings = [str(w) for w in valid(example).warnings]
    assert (
        "pools[app].servers[app1].address: app1.internal is resolved only when HAProxy "
        "starts or reloads; give the pool resolvers to follow address changes"
    ) in warnings


def test_only_the_dns_named_servers_among_addresses_warn(example):
    servers = example["pools"][0]["servers"]
    base = servers[0]
    example["pools"][0]["servers"] = [
        {**base, "name": "v4", "address": "198.18.0.21"},
        {**base, "name": "v6", "address": "2001:db8::21"},
        {**base, "name": "dns", "address": "app1.internal"},
        {**base, "name": "last", "address": "198.18.0.22"},
    ]
    warned = [str(w).split(":")[0] for w in valid(example).warnings if "resolved only" in str(w)]
    assert warned == ["pools[app].servers[dns].address"]


def test_a_dns_named_server_with_a_resolver_warns_nothing(example):
    with_resolver(example, resolvers="dc")
    example["pools"][0]["servers"][0]["address"] = "app1.internal"
    assert not [w for w in valid(example).warnings if "resolv" in str(w)]


def test_unused_resolver_is_a_warning(example):
    with_resolver(example)
    assert "resolvers[dc]: no pool uses this resolver; it is not rendered" in [
        str(w) for w in valid(example).warnings
    ]


def test_a_slot_name_may_not_be_a_server_name(example):
    with_resolver(
        example,
        resolvers="dc",
        server_templates=[{"name": "app", "count": 3, "dns_name": CONSUL_SRV}],
    )
    assert model_errors(example) == [
        "pools[app].server_templates[app]: slot 'app1' has the name of servers[app1]; "
        "use another name prefix"
    ]


def test_cookie_stickiness_cannot_use_templates(example):
    with_resolver(
        example,
        resolvers="dc",
        sticky="cookie",
        server_templates=[{"name": "web", "count": 2, "dns_name": CONSUL_SRV}],
    )
    [error] = model_errors(example)
    assert error.startswith("pools[app].sticky: cookie stickiness needs a cookie per server")


def test_srv_name_takes_no_port_and_a_host_name_needs_one(example):
    with_resolver(
        example,
        resolvers="dc",
        server_templates=[
            {"name": "web", "count": 2, "dns_name": CONSUL_SRV, "port": 80},
            {"name": "api", "count": 2, "dns_name": "api.service.consul"},
        ],
    )
    assert model_errors(example) == [
        "pools[app].server_templates[web]: an SRV name's records carry the port: remove port",
        "pools[app].server_templates[api]: needs a port: api.service.consul is a host name, "
        "not an SRV name",
    ]


def test_duplicate_resolver_and_nameserver(example):
    example["resolvers"] = [
        {"name": "dc", "nameservers": [{"address": "198.18.0.53"}, {"address": "198.18.0.53"}]},
        {"name": "dc", "nameservers": [{"address": "127.0.0.1", "port": 8600}]},
    ]
    example["pools"][0]["resolvers"] = "dc"
    assert model_errors(example) == [
        "resolvers[1].name: duplicate name 'dc' (also resolvers[0])",
        "resolvers[dc].nameservers[1]: 198.18.0.53 port 53 is also nameservers[0]",
    ]


def test_a_resolver_needs_a_nameserver(example):
    example["resolvers"] = [{"name": "dc", "nameservers": []}]
    [error] = model_errors(example)
    assert error.startswith("resolvers[dc].nameservers: needs at least one nameserver, or ")
    assert "parse_resolv_conf: true" in error


@pytest.mark.parametrize(
    "name",
    [
        "_http._tcp.app.consul\nresolvers x",
        "_http._tcp.app consul",
        "app.consul#x",
        "_http._sctp.app.consul",
        "198.18.0.20",
        '"quoted"',
        "${HOME}",
    ],
)
def test_hostile_template_names_are_refused(example, name):
    with_resolver(
        example, resolvers="dc", server_templates=[{"name": "web", "count": 1, "dns_name": name}]
    )
    [error] = model_errors(example)
    assert error.startswith("pools[app].server_templates[web].dns_name: must be a DNS SRV name")


@pytest.mark.parametrize("address", ["198.18.0.53 53", "ns1.example", "0.0.0.0", "fe80::1%eth0"])
def test_nameserver_must_be_an_address(example, address):
    example["resolvers"] = [{"name": "dc", "nameservers": [{"address": address}]}]
    example["pools"][0]["resolvers"] = "dc"
    [error] = model_errors(example)
    assert error.startswith("resolvers[dc].nameservers[0].address: must ")


def test_resolver_settings_are_bounded(example):
    with_resolver(example, resolvers="dc")
    example["resolvers"][0].update(
        accepted_payload_size=100, resolve_retries=0, hold={"valid": "10 s"}
    )
    errors = model_errors(example)
    assert [e.split(":")[0] for e in errors] == [
        "resolvers[dc].resolve_retries",
        "resolvers[dc].accepted_payload_size",
        "resolvers[dc].hold.valid",
    ]


@pytest.mark.parametrize(
    ("templates", "message"),
    [
        (
            [("web", 20), ("web1", 5)],
            "pools[app].server_templates[web1]: slot 'web11' is also a slot of "
            "server_templates[web]; use another name prefix",
        ),
        (
            [("web", 3), ("web", 2)],
            "pools[app].server_templates[web]: the name prefix 'web' is used twice: its "
            "slots would clash",
        ),
    ],
)
def test_two_templates_whose_slots_share_a_name(example, templates, message):
    with_resolver(
        example,
        resolvers="dc",
        server_templates=[
            {"name": name, "count": count, "dns_name": CONSUL_SRV} for name, count in templates
        ],
    )
    assert message in model_errors(example)


@pytest.mark.parametrize(
    "templates",
    [
        [("web", 9), ("web1", 5)],  # web10..web19 are not slots of web (count 9)
        [("web", 20), ("web0", 5)],  # slot numbers have no leading zero
        [("web", 20), ("webx", 5)],
    ],
)
def test_templates_whose_slots_never_meet_are_valid(example, templates):
    with_resolver(
        example,
        resolvers="dc",
        server_templates=[
            {"name": name, "count": count, "dns_name": CONSUL_SRV} for name, count in templates
        ],
    )
    assert model_errors(example) == []


def test_a_pool_at_the_template_limits_validates(example):
    """100 templates of 1,000 slots beside 10,000 servers: slots are looked up by prefix."""
    with_resolver(
        example,
        resolvers="dc",
        servers=[{"name": f"s{i}", "address": "198.18.0.20", "port": 1 + i} for i in range(10_000)],
        server_templates=[
            {"name": f"t{i}x", "count": 1_000, "dns_name": CONSUL_SRV} for i in range(100)
        ],
    )
    assert model_errors(example) == []
