"""The keepalived options of a VIP pair: track scripts and interfaces, notify scripts, garp.

Everything here is opt-in: a pair without `keepalived:` renders exactly what it did before
these options existed. A pair's scripts run beside lbctl's own (the `chk_haproxy` check and
the `notify` hook that records each VRRP instance's state), never instead of them.

Scripts are written into keepalived.conf as one quoted string, so what a command may hold
is decided here: keepalived reads `#` and `!` as comments, `"` ends the string, braces open
and close blocks, `$` expands its own definitions, and a line break ends the directive.
A command is an absolute path and arguments made only of characters that are none of these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from ..errors import FieldError
from .base import Single, Strict
from .duplicates import duplicate_errors
from .error_budget import Counted
from .types import Duration, Interface, Name, duration_ms

if TYPE_CHECKING:
    from .schema import LbModel, VipPair

MAX_TRACK_SCRIPTS = 32
MAX_TRACK_INTERFACES = 32
MAX_COMMAND_CHARS = 1024
MAX_GARP_DELAY_S = 4294

_PATH_WORD = re.compile(r"/[A-Za-z0-9._/+-]{1,1023}")
# No quote, '#', '!', '$', braces, backslash, '~' or whitespace: keepalived's syntax (see above).
_ARGUMENT_WORD = re.compile(r"[A-Za-z0-9._/+=:,%@-]{1,255}")


def check_command(value: str) -> str:
    """Return a track script's command, or raise ValueError saying why it cannot be one."""
    if len(value) > MAX_COMMAND_CHARS:
        raise ValueError(f"must be at most {MAX_COMMAND_CHARS} characters, got {len(value)}")
    words = value.split(" ")
    if not _PATH_WORD.fullmatch(words[0]) or any(p in ("..", ".") for p in words[0].split("/")):
        raise ValueError(
            "must start with the script's absolute path (letters, digits, '.', '_', '-', '+', "
            f"'/'; no '.' or '..' components), got {words[0][:60]!r}"
        )
    for word in words[1:]:
        if not _ARGUMENT_WORD.fullmatch(word):
            raise ValueError(
                "arguments are separated by single spaces and use only letters, digits and "
                "._/+=:,%@- (keepalived.conf has no safe way to write quotes, '#', '!', '$', "
                f"braces or backslashes), got {word[:60]!r}"
            )
    return value


ScriptCommand = Annotated[
    str,
    Field(
        description=(
            "absolute path of an executable and its arguments, separated by single spaces; "
            "arguments use letters, digits and ._/+=:,%@- only"
        ),
        examples=["/usr/local/bin/check-db --port 5432"],
    ),
    AfterValidator(check_command),
]


class TrackScript(Strict):
    """A check of the pair's own, run beside lbctl's HAProxy check on both hosts."""

    name: Name
    command: ScriptCommand
    interval: Duration = Field("2s", description="time between runs, whole seconds")
    timeout: Duration | None = Field(
        None, description="a run taking longer counts as failed, whole seconds"
    )
    weight: int = Field(
        0, ge=0, le=253, description="priority lost while the script fails; 0 means go to FAULT"
    )
    rise: int = Field(2, ge=1, le=100, description="successes in a row to count as up")
    fall: int = Field(2, ge=1, le=100, description="failures in a row to count as down")


class TrackInterface(Strict):
    """An interface whose link state moves the pair's VIPs."""

    name: Interface
    weight: int = Field(
        0, ge=0, le=253, description="priority lost while the link is down; 0 means go to FAULT"
    )


class NotifyScripts(Single):
    """The pair's own scripts for VRRP transitions; lbctl's state hook keeps `notify`."""

    master: ScriptCommand | None = Field(None, description="run on becoming MASTER")
    backup: ScriptCommand | None = Field(None, description="run on becoming BACKUP")
    fault: ScriptCommand | None = Field(None, description="run on going to FAULT")
    stop: ScriptCommand | None = Field(None, description="run when keepalived stops the instance")


class Garp(Single):
    """Gratuitous ARP / unsolicited NA a new MASTER sends so switches learn where VIPs are."""

    master_delay: Duration = Field(
        "1s", description="delay of the second burst after becoming MASTER, whole seconds"
    )
    master_repeat: int = Field(3, ge=1, le=255, description="messages per burst")
    master_refresh: Duration | None = Field(
        "60s", description="resend this often while MASTER, whole seconds; null: never"
    )
    master_refresh_repeat: int | None = Field(
        None, ge=1, le=255, description="messages per refresh (keepalived: 1)"
    )
    lower_prio_delay: Duration | None = Field(
        None, description="delay of a burst after a lower-priority advert, whole seconds"
    )
    lower_prio_repeat: int | None = Field(
        None, ge=1, le=255, description="messages per burst after a lower-priority advert"
    )


class KeepalivedOptions(Single):
    """What a pair adds to its VRRP instances; every default renders what lbctl always did."""

    track_scripts: list[Counted[TrackScript]] = Field(
        default_factory=list, max_length=MAX_TRACK_SCRIPTS
    )
    track_interfaces: list[Counted[TrackInterface]] = Field(
        default_factory=list, max_length=MAX_TRACK_INTERFACES
    )
    notify: NotifyScripts = NotifyScripts()
    vip_interface: Interface | None = Field(
        None,
        description="Linux interface the VIPs are added to (keepalived `dev`) when not "
        "lb_hosts[].interface, which carries the adverts; it must exist on both hosts",
    )
    advertised_vips: Literal["all", "first"] = Field(
        "all",
        description="'first': adverts carry only the first VIP of each VRRP instance and the "
        "others are virtual_ipaddress_excluded, so adding a VIP to a running pair does not "
        "change the adverts (no split brain) and large VIP sets fit",
    )
    garp: Garp = Garp()


class KeepalivedGlobals(Single):
    """global_defs settings of every LB host's keepalived."""

    garp_interval: Duration | None = Field(
        None,
        description="delay between gratuitous ARP messages on an interface (vrrp_garp_interval)",
    )
    gna_interval: Duration | None = Field(
        None,
        description="delay between unsolicited NA messages on an interface (vrrp_gna_interval)",
    )


def keepalived_seconds(value: str) -> str:
    """Return a duration as keepalived prints seconds: '2s' -> '2', '1500ms' -> '1.5'."""
    return f"{duration_ms(value) / 1000:g}"


def is_ipv6_vip(vip: str) -> bool:
    """Return whether a VIP (with or without its prefix) is an IPv6 address."""
    return ":" in vip


def vrrp_vip_groups(pair: VipPair) -> list[list[str]]:
    """Return the VIPs of each VRRP instance of a pair: all in one, or one each (active-active)."""
    return [[v] for v in pair.vips] if pair.mode == "active-active" else [list(pair.vips)]


def check_keepalived_options(model: LbModel) -> Iterator[FieldError]:
    """Yield the errors of every pair's keepalived options (called by rules.check_model)."""
    for keyword in ("garp_interval", "gna_interval"):
        value = getattr(model.settings.keepalived, keyword)
        if value is not None and duration_ms(value) > MAX_GARP_DELAY_S * 1000:
            yield FieldError(
                f"settings.keepalived.{keyword}",
                f"keepalived needs at most {MAX_GARP_DELAY_S}s, got {value}",
            )
    interfaces = {host.name: host.interface for host in model.lb_hosts}
    for pair in model.vip_pairs:
        yield from _ipv6_instances(pair)
        if pair.keepalived is not None:
            path = f"vip_pairs[{pair.name}].keepalived"
            yield from _pair_options(pair.keepalived, path)
            yield from _own_interface_tracked(pair, path, interfaces)


def _own_interface_tracked(
    pair: VipPair, path: str, interfaces: dict[str, str]
) -> Iterator[FieldError]:
    """keepalived -t refuses tracking the instance's own interface ("Ignoring track_interface
    eth0 since own interface", 2.2.7): a down link there is a FAULT already."""
    own = {interfaces[h]: h for h in pair.hosts if h in interfaces}
    for tracked in pair.keepalived.track_interfaces if pair.keepalived else []:
        if tracked.name in own:
            yield FieldError(
                f"{path}.track_interfaces[{tracked.name}]",
                f"is {own[tracked.name]}'s VRRP interface, which keepalived tracks already "
                "(the instance goes to FAULT when it is down): remove it",
            )


def _ipv6_instances(pair: VipPair) -> Iterator[FieldError]:
    """An instance holding only IPv6 VIPs sends IPv6 adverts: VRRPv3, multicast only.

    An instance with an IPv4 VIP keeps IPv4 adverts to the hosts' IPv4 addresses and carries
    its IPv6 VIPs as virtual_ipaddress_excluded (keepalived wants one family per advert).
    Without one, keepalived makes the instance IPv6 and refuses IPv4 unicast peers
    ("address family must match", measured with keepalived -t 2.2.7); lb_hosts have IPv4
    addresses only, so its adverts go to the link-local VRRP group ff02::12.
    """
    path = f"vip_pairs[{pair.name}]"
    if not any(all(is_ipv6_vip(v) for v in group) for group in vrrp_vip_groups(pair)):
        return
    why = "a VRRP instance with only IPv6 VIPs sends IPv6 adverts"
    if pair.unicast:
        yield FieldError(
            f"{path}.unicast",
            f"{why}, and lb_hosts have IPv4 addresses only: set unicast: false (multicast to "
            "ff02::12) or add an IPv4 VIP to the instance",
        )
    if _vrrp_version(pair) == 2:
        yield FieldError(
            f"{path}.vrrp_version",
            f"{why}, which need VRRPv3 (VRRPv2 is IPv4 only): set vrrp_version: 3",
        )


def _vrrp_version(pair: VipPair) -> int:
    # rules.vrrp_version, which this module cannot import: rules imports it.
    if pair.vrrp_version is not None:
        return pair.vrrp_version
    return 3 if duration_ms(pair.advert_interval) < 1000 else 2


def keepalived_warnings(model: LbModel) -> Iterator[FieldError]:
    """Yield what works but probably is not meant: a weight that cannot move the VIPs."""
    for pair in model.vip_pairs:
        options = pair.keepalived
        if options is None:
            continue
        path = f"vip_pairs[{pair.name}].keepalived"
        gap = pair.master_priority - pair.backup_priority
        tracked = [("track_scripts", t.name, t.weight) for t in options.track_scripts]
        tracked += [("track_interfaces", t.name, t.weight) for t in options.track_interfaces]
        for field, name, weight in tracked:
            if weight and weight <= gap:
                yield FieldError(
                    f"{path}.{field}[{name}].weight",
                    f"a failure leaves the master at priority {pair.master_priority - weight}, "
                    f"not below the backup's {pair.backup_priority}, so the VIPs do not move; "
                    f"use more than {gap} (or 0 for FAULT)",
                )


def _pair_options(options: KeepalivedOptions, path: str) -> Iterator[FieldError]:
    yield from duplicate_errors(
        f"{path}.track_scripts", options.track_scripts, listed_as="track_scripts"
    )
    for script in options.track_scripts:
        at = f"{path}.track_scripts[{script.name}]"
        yield from _whole_seconds(f"{at}.interval", script.interval, 1, 3600)
        if script.timeout is not None:
            yield from _whole_seconds(f"{at}.timeout", script.timeout, 1, 3600)
    yield from duplicate_errors(
        f"{path}.track_interfaces",
        options.track_interfaces,
        label="interface",
        listed_as="track_interfaces",
    )
    garp = options.garp
    # keepalived keeps a garp delay in microseconds in 32 bits: "number '4295' outside range
    # [0, 4294]" (keepalived -t 2.2.7).
    yield from _whole_seconds(f"{path}.garp.master_delay", garp.master_delay, 1, MAX_GARP_DELAY_S)
    if garp.master_refresh is not None:
        yield from _whole_seconds(f"{path}.garp.master_refresh", garp.master_refresh, 1, 86_400)
    if garp.lower_prio_delay is not None:
        yield from _whole_seconds(
            f"{path}.garp.lower_prio_delay", garp.lower_prio_delay, 1, MAX_GARP_DELAY_S
        )


def _whole_seconds(path: str, value: str, low: int, high: int) -> Iterator[FieldError]:
    ms = duration_ms(value)
    if ms % 1000 or not low * 1000 <= ms <= high * 1000:
        yield FieldError(
            path, f"keepalived needs whole seconds from {low}s to {high}s, got {value}"
        )
