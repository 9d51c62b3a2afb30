"""A pair's keepalived options and IPv6 VIPs: what validates, and each refusal's field path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support import MODELS, load_yaml, model_errors, valid

FULL = load_yaml(MODELS / "keepalived_options.yaml")
COMMAND = "vip_pairs[edge].keepalived.track_scripts[db].command"


@pytest.fixture
def doc() -> dict[str, Any]:
    return copy.deepcopy(FULL)


def edge_options(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["vip_pairs"][0]["keepalived"]


def test_every_option_of_the_golden_model_validates_without_warnings(doc: dict) -> None:
    assert valid(doc).warnings == []


# Each would end keepalived's quoted string, start a comment or a block, or expand a variable.
@pytest.mark.parametrize(
    "argument",
    [
        '"',
        "'",
        "#x",
        "!x",
        "{",
        "}",
        "$HOME",
        "${X}",
        "\\",
        "~x",
        "a\nb",
        "a\rb",
        "a\x00",
        "\u0430",
    ],
)
def test_a_script_argument_keepalived_would_read_as_syntax_is_refused(
    doc: dict, argument: str
) -> None:
    edge_options(doc)["track_scripts"][0]["command"] = f"/usr/local/bin/check-db {argument}"
    errors = model_errors(doc)
    assert len(errors) == 1 and errors[0].startswith(f"{COMMAND}: arguments are separated")


@pytest.mark.parametrize(
    "command", ["check-db", "./check-db", "/usr/../bin/sh", "/opt/my\tscript", '/bin/"x"', ""]
)
def test_a_script_must_start_with_a_plain_absolute_path(doc: dict, command: str) -> None:
    edge_options(doc)["track_scripts"][0]["command"] = command
    errors = model_errors(doc)
    assert len(errors) == 1 and errors[0].startswith(COMMAND), errors


def test_two_spaces_between_arguments_are_refused(doc: dict) -> None:
    edge_options(doc)["track_scripts"][0]["command"] = "/usr/local/bin/check-db  --port"
    assert model_errors(doc)[0].startswith(f"{COMMAND}: arguments are separated")


@pytest.mark.parametrize("state", ["master", "backup", "fault", "stop"])
def test_notify_scripts_are_checked_like_track_scripts(doc: dict, state: str) -> None:
    edge_options(doc)["notify"][state] = "/usr/local/bin/on-vrrp '; reboot'"
    errors = model_errors(doc)
    assert len(errors) == 1
    assert errors[0].startswith(f"vip_pairs[edge].keepalived.notify.{state}: arguments")


def test_a_generic_notify_script_is_refused_because_lbctl_s_hook_holds_notify(doc: dict) -> None:
    edge_options(doc)["notify"]["all"] = "/usr/local/bin/on-vrrp"
    assert model_errors(doc) == [
        "vip_pairs[edge].keepalived.notify.all: unknown key 'all' "
        "(allowed: master, backup, fault, stop)"
    ]


def test_script_timings_are_whole_seconds(doc: dict) -> None:
    script = edge_options(doc)["track_scripts"][0]
    script["interval"], script["timeout"] = "1500ms", "2h"
    assert model_errors(doc) == [
        "vip_pairs[edge].keepalived.track_scripts[db].interval: keepalived needs whole "
        "seconds from 1s to 3600s, got 1500ms",
        "vip_pairs[edge].keepalived.track_scripts[db].timeout: keepalived needs whole "
        "seconds from 1s to 3600s, got 2h",
    ]


def test_duplicate_track_script_and_interface_names_are_refused(doc: dict) -> None:
    options = edge_options(doc)
    options["track_scripts"][1]["name"] = "db"
    options["track_interfaces"][1]["name"] = "eth1"
    errors = model_errors(doc)
    assert (
        "vip_pairs[edge].keepalived.track_scripts[1].name: duplicate name 'db' "
        "(also track_scripts[0])" in errors
    )
    assert (
        "vip_pairs[edge].keepalived.track_interfaces[1].name: duplicate interface "
        "'eth1' (also track_interfaces[0])" in errors
    )


def test_a_weight_that_cannot_move_the_vips_is_a_warning(doc: dict) -> None:
    edge_options(doc)["track_scripts"][0]["weight"] = 10  # 250 - 10 stays above 240
    assert [str(w) for w in valid(doc).warnings] == [
        "vip_pairs[edge].keepalived.track_scripts[db].weight: a failure leaves the master at "
        "priority 240, not below the backup's 240, so the VIPs do not move; use more than 10 "
        "(or 0 for FAULT)"
    ]


def test_track_interfaces_and_vip_interface_are_interface_names(doc: dict) -> None:
    options = edge_options(doc)
    options["vip_interface"] = "eth1 dev x"
    options["track_interfaces"][0]["name"] = "lo"
    errors = model_errors(doc)
    assert any(e.startswith("vip_pairs[edge].keepalived.vip_interface:") for e in errors)
    assert any(
        e.startswith("vip_pairs[edge].keepalived.track_interfaces[lo].name:") for e in errors
    )


def test_an_ipv6_vip_validates_and_a_frontend_may_bind_it(doc: dict) -> None:
    model = valid(doc).model
    assert model.vip_pairs[0].vips[2] == "2001:2::100/64"
    assert model.frontends[1].vip == "2001:2::100"


@pytest.mark.parametrize(
    "vip",
    [
        "2001:2::100",
        "fe80::1/64",
        "::1/128",
        "ff02::1/64",
        "::/64",
        "2001:2::1%eth0/64",
        "::ffff:198.18.0.1/96",
        "2001:2::zz/64",
    ],
)
def test_an_unusable_ipv6_vip_is_refused_with_its_path(doc: dict, vip: str) -> None:
    doc["vip_pairs"][0]["vips"][2] = vip
    doc["frontends"] = doc["frontends"][:1]
    errors = model_errors(doc)
    assert errors and errors[0].startswith("vip_pairs[edge].vips[2]:"), errors


def test_a_frontend_vip_must_be_one_of_its_pair_s_ipv6_vips(doc: dict) -> None:
    doc["frontends"][1]["vip"] = "2001:2::199"
    assert model_errors(doc) == [
        "frontends[web6].vip: 2001:2::199 is not a VIP of vip_pairs[edge] "
        "(198.18.0.100, 198.18.0.101, 2001:2::100)"
    ]


def test_an_ipv6_only_instance_needs_vrrpv3_and_multicast(doc: dict) -> None:
    pair = doc["vip_pairs"][1]
    pair["unicast"] = True
    del pair["vrrp_version"]
    errors = model_errors(doc)
    assert [e.split(":")[0] for e in errors] == [
        "vip_pairs[v6].unicast",
        "vip_pairs[v6].vrrp_version",
    ]
    assert "set unicast: false" in errors[0] and "set vrrp_version: 3" in errors[1]


def test_an_ipv6_vip_beside_an_ipv4_one_needs_neither(doc: dict) -> None:
    # The edge pair: VRRPv2, unicast, with 2001:2::100 among IPv4 VIPs.
    assert doc["vip_pairs"][0].get("unicast", True) and "vrrp_version" not in doc["vip_pairs"][0]
    assert model_errors(doc) == []


def test_garp_delays_stay_within_keepalived_s_range(doc: dict) -> None:
    edge_options(doc)["garp"].update(master_delay="4295s", lower_prio_delay="2h")
    assert model_errors(doc) == [
        "vip_pairs[edge].keepalived.garp.master_delay: keepalived needs whole seconds from "
        "1s to 4294s, got 4295s",
        "vip_pairs[edge].keepalived.garp.lower_prio_delay: keepalived needs whole seconds "
        "from 1s to 4294s, got 2h",
    ]


def test_global_garp_intervals_stay_within_keepalived_s_range(doc: dict) -> None:
    doc["settings"]["keepalived"] = {"garp_interval": "4295s", "gna_interval": "1h"}
    assert model_errors(doc) == [
        "settings.keepalived.garp_interval: keepalived needs at most 4294s, got 4295s"
    ]


def test_tracking_a_hosts_own_vrrp_interface_is_refused(example):
    pair = example["vip_pairs"][0]
    own = next(h["interface"] for h in example["lb_hosts"] if h["name"] == pair["hosts"][0])
    pair["keepalived"] = {"track_interfaces": [{"name": own, "weight": 60}]}
    errors = model_errors(example)
    assert any(
        e.startswith(f"vip_pairs[{pair['name']}].keepalived.track_interfaces[{own}]: is ")
        and "VRRP interface" in e
        for e in errors
    ), errors
