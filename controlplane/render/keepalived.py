"""The keepalived.conf of one LB host: a VRRP instance per VIP group of each of its pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import LbModel, VipPair, duration_ms, vrrp_router_ids, vrrp_version
from ..model.keepalived_options import (
    KeepalivedOptions,
    is_ipv6_vip,
    keepalived_seconds,
    vrrp_vip_groups,
)
from .haproxy import host_pairs
from .host_paths import (
    CHECK_SCRIPT_NAME,
    KEEPALIVED_RELOAD_FILE,
    MONITOR_URI,
    NOTIFY_SCRIPT,
    SWITCHOVER_FILE_PREFIX,
)

# What every instance printed before garp settings existed; a pair's `garp` replaces them.
DEFAULT_GARP = (
    ("garp_master_delay", "1"),
    ("garp_master_repeat", "3"),
    ("garp_master_refresh", "60"),
)


@dataclass(frozen=True)
class TrackScriptContext:
    name: str
    command: str
    settings: list[tuple[str, str]]  # interval, timeout, rise, fall: keyword and value


@dataclass(frozen=True)
class VrrpInstanceContext:
    name: str
    interface: str
    virtual_router_id: int
    priority: int
    advert_int: str
    version: int
    nopreempt: bool
    preempt_delay: str | None
    unicast_src_ip: str | None
    unicast_peers: list[str]
    authentication: tuple[str, str] | None
    vips: list[str]
    track_weight: int
    switchover_track: str
    switchover_file: str
    # Priority change while the switchover file holds 1; 0 means FAULT (see switchover_weight).
    switchover_weight: int
    # The pair's keepalived options (keepalived_options.py); the defaults print nothing new.
    excluded_vips: list[str] = field(default_factory=list)
    track_scripts: list[str] = field(default_factory=list)  # "NAME weight -N" lines
    track_interfaces: list[str] = field(default_factory=list)
    notify_scripts: list[tuple[str, str]] = field(default_factory=list)  # (keyword, command)
    garp: list[tuple[str, str]] = field(default_factory=lambda: list(DEFAULT_GARP))


@dataclass(frozen=True)
class KeepalivedContext:
    host: str
    check_name: str
    check_command: str
    notify_script: str
    reload_file: str
    instances: list[VrrpInstanceContext] = field(default_factory=list)
    scripts: list[TrackScriptContext] = field(default_factory=list)  # the pairs' own checks
    global_settings: list[tuple[str, str]] = field(default_factory=list)  # more global_defs


def monitor_url(model: LbModel) -> str:
    """Return the URL of HAProxy's loopback monitor endpoint (200 while it serves)."""
    s = model.settings
    return f"http://{s.admin_address}:{s.monitor_port}{MONITOR_URI}"


def keepalived_context(model: LbModel, host: str) -> KeepalivedContext:
    """Return what keepalived.conf prints for one host: a VRRP instance per VIP group."""
    check_url = monitor_url(model)
    return KeepalivedContext(
        host=host,
        check_name=CHECK_SCRIPT_NAME,
        # Through HAProxy's own listener, never pidof: that would see other hosts' processes.
        check_command=f"/usr/bin/curl --silent --fail --max-time 1 --output /dev/null {check_url}",
        notify_script=NOTIFY_SCRIPT,
        reload_file=KEEPALIVED_RELOAD_FILE,
        instances=[
            inst for pair in host_pairs(model, host) for inst in _instances(model, pair, host)
        ],
        scripts=[s for pair in host_pairs(model, host) for s in track_script_contexts(pair)],
        global_settings=global_settings(model),
    )


def _instances(model: LbModel, pair: VipPair, host: str) -> list[VrrpInstanceContext]:
    addresses = {h.name: h.address for h in model.lb_hosts}
    interface = next(h.interface for h in model.lb_hosts if h.name == host)
    peer = next(h for h in pair.hosts if h != host)
    version = vrrp_version(pair)
    groups = vrrp_vip_groups(pair)
    ids = vrrp_router_ids(pair)
    instances = []
    for i, (vips, router_id) in enumerate(zip(groups, ids, strict=True)):
        # Active-active alternates the preferred master: instance i prefers hosts[i % 2].
        preferred = pair.hosts[i % 2]
        auth = pair.authentication
        name = pair.name if len(groups) == 1 else f"{pair.name}:{i + 1}"
        instances.append(
            VrrpInstanceContext(
                name=name,
                interface=interface,
                virtual_router_id=router_id,
                priority=pair.master_priority if host == preferred else pair.backup_priority,
                advert_int=f"{duration_ms(pair.advert_interval) / 1000:g}",
                version=version,
                nopreempt=not pair.preempt,
                preempt_delay=(
                    f"{duration_ms(pair.preempt_delay) / 1000:g}" if pair.preempt_delay else None
                ),
                unicast_src_ip=addresses[host] if pair.unicast else None,
                unicast_peers=[addresses[peer]] if pair.unicast else [],
                authentication=(auth.type, auth.password) if auth else None,
                track_weight=-pair.track_weight,
                **_switchover_fields(pair, name),
                **options_fields(pair, vips, interface),
            )
        )
    return instances


def switchover_file(instance: str) -> str:
    """Return the path of the file that drains `instance` on a host when it holds 1."""
    return SWITCHOVER_FILE_PREFIX + instance


def switchover_weight(pair: VipPair) -> int:
    """Return the track_file weight that makes a drained host give its VIPs to the peer.

    With preempt, the weight drops the drained host's priority to 1 (keepalived clamps it
    to [1, 254]): the peer, at any priority, preempts it without a gap, and the drained host
    stays a last-resort backup. A `nopreempt` backup never takes over from a lower-priority
    master, so there weight 0 is used: a non-zero file puts the instance in FAULT, which
    releases the VIPs at once.
    """
    if not pair.preempt:
        return 0
    return -(max(pair.master_priority, pair.backup_priority, 2) - 1)


def _switchover_fields(pair: VipPair, instance: str) -> dict[str, Any]:
    return {
        "switchover_track": f"lbctl_switchover_{instance}",
        "switchover_file": switchover_file(instance),
        "switchover_weight": switchover_weight(pair),
    }


def track_script_name(pair: VipPair, script: str) -> str:
    """Return the vrrp_script name of a pair's own check: ':' is in no model name, so two
    pairs (or a pair and lbctl's chk_haproxy) never share one."""
    return f"{pair.name}:{script}"


def track_script_contexts(pair: VipPair) -> list[TrackScriptContext]:
    """Return the vrrp_script blocks of a pair's own checks (none without options)."""
    options = pair.keepalived
    if options is None:
        return []
    contexts = []
    for script in options.track_scripts:
        settings = [("interval", keepalived_seconds(script.interval))]
        if script.timeout is not None:
            settings.append(("timeout", keepalived_seconds(script.timeout)))
        settings += [("rise", str(script.rise)), ("fall", str(script.fall))]
        contexts.append(
            TrackScriptContext(track_script_name(pair, script.name), script.command, settings)
        )
    return contexts


def global_settings(model: LbModel) -> list[tuple[str, str]]:
    """Return global_defs lines beyond lbctl's own: the model's vrrp_garp/gna intervals."""
    found = []
    options = model.settings.keepalived
    for keyword, value in (
        ("vrrp_garp_interval", options.garp_interval),
        ("vrrp_gna_interval", options.gna_interval),
    ):
        if value is not None:
            # Decimal seconds, microsecond resolution; never an exponent keepalived cannot read.
            found.append((keyword, f"{duration_ms(value) / 1000:.6f}".rstrip("0").rstrip(".")))
    return found


def options_fields(pair: VipPair, vips: list[str], interface: str) -> dict[str, Any]:
    """Return the VrrpInstanceContext fields a pair's VIPs and keepalived options decide.

    An instance's adverts carry the addresses of `virtual_ipaddress`, which keepalived
    wants of one family: IPv4 when the instance has an IPv4 VIP (its IPv6 VIPs are then
    excluded from adverts), else IPv6. `advertised_vips: first` keeps only the first
    VIP of that family in the adverts: adding a VIP then leaves the adverts as they were,
    so the two hosts never disagree about them during a deploy.
    """
    options = pair.keepalived or KeepalivedOptions()
    dev = options.vip_interface or interface
    family_v6 = all(is_ipv6_vip(v) for v in vips)
    advertised = [v for v in vips if is_ipv6_vip(v) == family_v6]
    if options.advertised_vips == "first":
        advertised = advertised[:1]
    excluded = [v for v in vips if v not in advertised]
    notify = options.notify
    return {
        "vips": [f"{vip} dev {dev}" for vip in advertised],
        "excluded_vips": [f"{vip} dev {dev}" for vip in excluded],
        "track_scripts": [
            f"{track_script_name(pair, t.name)} weight {-t.weight}" for t in options.track_scripts
        ],
        "track_interfaces": [
            f"{t.name} weight {-t.weight}" if t.weight else t.name for t in options.track_interfaces
        ],
        "notify_scripts": [
            (f"notify_{state}", command)
            for state, command in (
                ("master", notify.master),
                ("backup", notify.backup),
                ("fault", notify.fault),
                ("stop", notify.stop),
            )
            if command is not None
        ],
        "garp": _garp_lines(options) if pair.keepalived else list(DEFAULT_GARP),
    }


def _garp_lines(options: KeepalivedOptions) -> list[tuple[str, str]]:
    garp = options.garp
    lines = [
        ("garp_master_delay", keepalived_seconds(garp.master_delay)),
        ("garp_master_repeat", str(garp.master_repeat)),
        # 0: keepalived's own "no refresh".
        (
            "garp_master_refresh",
            keepalived_seconds(garp.master_refresh) if garp.master_refresh else "0",
        ),
    ]
    if garp.master_refresh_repeat is not None:
        lines.append(("garp_master_refresh_repeat", str(garp.master_refresh_repeat)))
    if garp.lower_prio_delay is not None:
        lines.append(("garp_lower_prio_delay", keepalived_seconds(garp.lower_prio_delay)))
    if garp.lower_prio_repeat is not None:
        lines.append(("garp_lower_prio_repeat", str(garp.lower_prio_repeat)))
    return lines
