"""A frontend's binds besides its VIP: fields, clashes on a host, addresses a host may lack."""

from __future__ import annotations

import pytest

from tests.support import model_errors, valid


def binds(example, frontend: int, *entries: dict) -> dict:
    example["frontends"][frontend]["binds"] = list(entries)
    return example


def warnings_of(example) -> list[str]:
    return [str(w) for w in valid(example).warnings]


def test_wildcard_ipv6_and_unix_socket_binds_are_valid(example):
    binds(
        example,
        0,
        {"address": "*", "port": 8081},
        {"address": "::", "port": 8082},
        {"address": "2001:db8::10", "port": 81, "accept_proxy": True},
        {"address": "127.0.0.1", "port": 8083},
        {"unix_socket": "/run/haproxy/web.sock", "mode": "660"},
    )
    model = valid(example).model
    assert [b.address for b in model.frontends[0].binds] == [
        "*", "::", "2001:db8::10", "127.0.0.1", None,
    ]  # fmt: skip


def test_zero_address_means_every_ipv4_address(example):
    binds(example, 0, {"address": "0.0.0.0", "port": 8081})
    assert valid(example).model.frontends[0].binds[0].address == "*"


def test_two_frontends_binding_one_address_and_port_is_an_error_naming_both(example):
    binds(example, 0, {"address": "198.18.0.100", "port": 8080})  # app-direct's VIP bind
    assert model_errors(example) == [
        "frontends[web].binds[0]: 198.18.0.100 port 8080 is already bound by "
        "frontends[app-direct] on lb1"
    ]


def test_the_same_wildcard_in_two_frontends_is_an_error(example):
    binds(example, 0, {"address": "*", "port": 9000})
    binds(example, 1, {"address": "*", "port": 9000})
    assert model_errors(example) == [
        "frontends[web-tls].binds[0]: * port 9000 is already bound by frontends[web] on lb1"
    ]


def test_a_bind_repeating_the_frontends_own_vip_is_an_error(example):
    binds(example, 0, {"address": "198.18.0.100", "port": 80})
    assert model_errors(example) == [
        "frontends[web].binds[0]: 198.18.0.100 port 80 is already this frontend's VIP bind"
    ]


def test_one_unix_socket_for_two_frontends_is_an_error(example):
    binds(example, 0, {"unix_socket": "/run/haproxy/web.sock"})
    binds(example, 1, {"unix_socket": "/run/haproxy/web.sock"})
    assert model_errors(example) == [
        "frontends[web-tls].binds[0]: unix@/run/haproxy/web.sock is already bound by "
        "frontends[web] on lb1"
    ]


def test_a_bind_on_the_monitor_port_is_an_error(example):
    binds(example, 0, {"address": "127.0.0.1", "port": 8404})
    assert model_errors(example) == [
        "frontends[web].binds[0]: 127.0.0.1 port 8404 is already bound by lbctl's monitor "
        "listener on lb1"
    ]


def test_a_wildcard_over_another_frontends_vip_port_is_a_warning(example):
    binds(example, 0, {"address": "*", "port": 8080})  # app-direct has VIP:8080
    assert (
        "frontends[web].binds[0]: * port 8080 of frontends[web] overlaps 198.18.0.100 port "
        "8080 of frontends[app-direct] on lb1: the more specific address takes its "
        "connections, the other the rest"
    ) in warnings_of(example)


def test_an_address_that_is_no_vip_of_the_pair_is_a_warning(example):
    binds(example, 0, {"address": "198.18.0.50", "port": 80})
    assert (
        "frontends[web].binds[0].address: 198.18.0.50 is not a VIP of vip_pairs[edge], nor "
        "'*' or loopback: a host of the pair (lb1, lb2) that lacks it gets no traffic there"
    ) in warnings_of(example)


def test_loopback_and_wildcards_warn_nothing(example):
    binds(
        example,
        0,
        {"address": "127.0.0.1", "port": 8081},
        {"address": "::1", "port": 8081},
        {"address": "*", "port": 8082},
    )
    assert not [w for w in warnings_of(example) if ".binds[" in w]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"address": "*"}, "needs address and port, or unix_socket"),
        ({"unix_socket": "/run/haproxy/x.sock", "port": 80}, "a unix_socket bind has no port"),
        ({"address": "*", "port": 80, "mode": "660"}, "mode applies to a unix_socket bind only"),
    ],
)
def test_a_bind_is_an_address_and_port_or_a_socket(example, entry, message):
    binds(example, 0, entry)
    assert model_errors(example) == [f"frontends[web].binds[0]: {message}"]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"address": "198.18.0.100 ssl", "port": 80}, "address"),
        ({"address": "*\nbind *:1", "port": 80}, "address"),
        ({"address": "fe80::1%eth0 x", "port": 80}, "address"),
        ({"address": "example.com", "port": 80}, "address"),
        ({"address": "224.0.0.1", "port": 80}, "address"),
        ({"unix_socket": "/run/haproxy/a b.sock"}, "unix_socket"),
        ({"unix_socket": "/run/haproxy/../../etc/passwd"}, "unix_socket"),
        ({"unix_socket": "/etc/passwd"}, "unix_socket"),
        ({"unix_socket": "/run/haproxy/admin.sock"}, "unix_socket"),
        ({"unix_socket": "/run/haproxy/sub/x.sock"}, "unix_socket"),
        ({"unix_socket": "/run/haproxy/x.sock", "mode": "660 user root"}, "mode"),
        ({"unix_socket": "/run/haproxy/x.sock", "mode": "999"}, "mode"),
        ({"address": "*", "port": 0}, "port"),
    ],
)
def test_hostile_bind_values_are_refused_with_their_field_path(example, entry, field):
    binds(example, 0, entry)
    [error] = model_errors(example)
    assert error.startswith(f"frontends[web].binds[0].{field}: ")


def test_a_bind_in_extra_is_advised_to_become_a_binds_entry(example):
    example["frontends"][0]["extra"] = ["bind *:8081"]
    assert (
        "frontends[web].extra[0]: `bind` can be written as frontends[web].binds (address and "
        "port, or unix_socket; accept_proxy); typed fields are validated and planned, extra "
        "lines are not"
    ) in warnings_of(example)
