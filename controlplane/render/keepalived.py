"""The keepalived.conf of one LB host: a VRRP instance per VIP group of each of its pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import LbModel, VipPair, duration_ms, vrrp_router_ids, vrrp_version
from .haproxy import host_pairs
from .host_paths import (
    CHECK_SCRIPT_NAME,
    KEEPALIVED_RELOAD_FILE,
    MONITOR_URI,
    NOTIFY_SCRIPT,
    SWITCHOVER_FILE_PREFIX,
)


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


@dataclass(frozen=True)
class KeepalivedContext:
    host: str
    check_name: str
    check_command: str
    notify_script: str
    reload_file: str
    instances: list[VrrpInstanceContext] = field(default_factory=list)


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
    )


def _instances(model: LbModel, pair: VipPair, host: str) -> list[VrrpInstanceContext]:
    addresses = {h.name: h.address for h in model.lb_hosts}
    interface = next(h.interface for h in model.lb_hosts if h.name == host)
    peer = next(h for h in pair.hosts if h != host)
    version = vrrp_version(pair)
    groups = [[v] for v in pair.vips] if pair.mode == "active-active" else [list(pair.vips)]
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
                vips=[f"{vip} dev {interface}" for vip in vips],
                track_weight=-pair.track_weight,
                **_switchover_fields(pair, name),
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
