"""VRRP instance settings the model says in its own words: which VIPs the adverts carry,
gratuitous ARP timing, and the adverts of an instance that holds only IPv6 VIPs.

Each function takes what keepalived.conf said and returns the model's value, reporting
with the instance's line whatever the model renders differently.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .report import Report

if TYPE_CHECKING:
    from .keepalived_mapping import Instance

# What lbctl renders in every instance of a pair without `keepalived.garp`.
_LBCTL_GARP = {"garp_master_delay": "1", "garp_master_repeat": "3", "garp_master_refresh": "60"}
# keepalived's own values for the lines an instance leaves out (keepalived.conf(5), 2.2.7).
_KEEPALIVED_GARP = {"garp_master_delay": "5", "garp_master_repeat": "5"}
# keepalived keyword -> the model's field, and whether it is a duration (else a count).
_GARP_FIELDS = {
    "garp_master_delay": ("master_delay", True),
    "garp_master_repeat": ("master_repeat", False),
    "garp_master_refresh": ("master_refresh", True),
    "garp_master_refresh_repeat": ("master_refresh_repeat", False),
    "garp_lower_prio_delay": ("lower_prio_delay", True),
    "garp_lower_prio_repeat": ("lower_prio_repeat", False),
}


def seconds(value: str) -> str:
    """keepalived seconds ('1', '0.5') as a model duration ('1s', '500ms')."""
    number = float(value)
    return f"{int(number)}s" if number == int(number) else f"{round(number * 1000)}ms"


def _is_ipv6(vip: str) -> bool:
    return ":" in vip


def advertised_vips(inst: Instance, report: Report) -> str:
    """Return 'all' or 'first': the model's word for the VIPs the instance's adverts carry.

    lbctl advertises the VIPs of one family (IPv4 when there is an IPv4 VIP) and excludes
    the others; 'first' keeps only the first of that family in the adverts.
    """
    vips = inst.all_vips
    v6 = all(_is_ipv6(v) for v in vips)
    family = [v for v in vips if _is_ipv6(v) == v6]
    if inst.vips == family:
        return "all"
    if inst.vips == family[:1]:
        return "first"
    report.add(
        "differs",
        inst.where,
        f"vrrp_instance {inst.name} virtual_ipaddress",
        f"the adverts carry {', '.join(family)}; the other VIPs are excluded from them",
    )
    return "all"


def garp_options(inst: Instance, report: Report) -> dict[str, Any] | None:
    """Return the pair's `keepalived.garp`, or None when lbctl's default says the same.

    An instance with no garp line keeps lbctl's default (1 s, 3 messages, refresh every
    60 s); one with some takes keepalived's own values for the others.
    """
    given = inst.garp
    if not given or given == _LBCTL_GARP:
        return None
    lines = {**_KEEPALIVED_GARP, **given}
    garp: dict[str, Any] = {}
    try:
        for keyword, (field, is_duration) in _GARP_FIELDS.items():
            if keyword not in lines:
                # No refresh line is keepalived's "never"; the others keep their defaults.
                if field == "master_refresh":
                    garp[field] = None
            elif is_duration:
                value = seconds(lines[keyword])
                garp[field] = None if field == "master_refresh" and value == "0s" else value
            else:
                garp[field] = int(lines[keyword])
                if not 1 <= garp[field] <= 255:
                    raise ValueError(keyword)
    except ValueError:
        report.add(
            "dropped",
            inst.where,
            " ".join(f"{k} {v}" for k, v in given.items()),
            "garp settings the model cannot hold (seconds, 1-255 messages)",
        )
        return None
    return garp


def ipv6_adverts(pair: dict[str, Any], inst: Instance, report: Report) -> None:
    """Make a pair whose instance holds only IPv6 VIPs send what keepalived sends for it.

    Such an instance's adverts are IPv6: VRRPv3 (keepalived moves a version 2 instance to
    3), and multicast to ff02::12, since lb_hosts have IPv4 addresses only and the model
    cannot name IPv6 unicast peers. Each change is reported with the instance's line.
    """
    groups = [[v] for v in pair["vips"]] if pair.get("mode") == "active-active" else [pair["vips"]]
    if not any(all(_is_ipv6(v) for v in group) for group in groups):
        return
    if pair.get("vrrp_version") != 3:
        pair["vrrp_version"] = 3
        report.add(
            "translated",
            inst.where,
            f"vrrp_instance {inst.name}",
            "an instance with only IPv6 VIPs sends VRRPv3 adverts: vrrp_version 3",
        )
    if pair["unicast"]:
        pair["unicast"] = False
        report.add(
            "differs",
            inst.where,
            f"vrrp_instance {inst.name} unicast_peer",
            "IPv6 adverts go to the multicast group ff02::12: lb_hosts have IPv4 addresses",
        )


def global_settings(instances: list[Instance], report: Report) -> dict[str, str]:
    """Return settings.keepalived from the global_defs the host's instances run under."""
    found = instances[0].global_garp if instances else {}
    out = {}
    for field, value in found.items():
        try:
            out[field] = _fine_seconds(value)
        except (ArithmeticError, ValueError):
            report.add("dropped", instances[0].where, f"{field} {value}", "not a number of seconds")
    return out


def _fine_seconds(value: str) -> str:
    """keepalived's decimal seconds to microseconds ('0.0005' -> '500us', '1' -> '1s')."""
    micros = Decimal(value) * 1_000_000
    if micros != micros.to_integral_value() or micros < 0:
        raise ValueError(value)
    n = int(micros)
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}s"
    return f"{n // 1000}ms" if n % 1000 == 0 else f"{n}us"
