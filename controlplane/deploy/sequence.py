"""The sequence of a deploy: hosts in order and lanes; per host, what its files' change asks.

Hosts go BACKUP first, pairs side by side; on each host, servers whose address changed
must not get their saved state back, a VIP changing VRRP instance takes two keepalived
reloads, and the change plan names the VIPs that may move.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..model import LbModel, vip_address
from ..rendered_config import KeepalivedConfig, Server, read_haproxy_cfg, read_keepalived_conf
from .keepalived_plan import advert_changes


@dataclass(frozen=True)
class HostProbe:
    """What a host told us: its deployed files and the addresses it holds."""

    host: str
    reachable: bool
    files: dict[str, str | None]
    addresses: list[str]
    error: str = ""
    # key under files_dir -> SHA-256 of the attached files the host holds (when asked for)
    attached: dict[str, str] = field(default_factory=dict)


def deploy_order(model: LbModel, probes: dict[str, HostProbe], hosts: list[str]) -> list[str]:
    """Return hosts in a safe order: per pair the current BACKUP first, the MASTER last.

    Mastership is what the hosts say (who holds the pair's VIPs), not what the model
    prefers, so a bad config reaches the host carrying no traffic first.
    """
    ordered: list[str] = []
    for pair in model.vip_pairs:
        vips = {vip_address(v) for v in pair.vips}
        members = [h for h in pair.hosts if h in hosts]
        members.sort(key=lambda h: bool(vips & set(_held(probes.get(h)))))
        ordered.extend(h for h in members if h not in ordered)
    ordered.extend(h for h in hosts if h not in ordered)
    return ordered


def deploy_lanes(model: LbModel, probes: dict[str, HostProbe], hosts: list[str]) -> list[list[str]]:
    """Return the hosts in lanes that may deploy in parallel, each lane in `deploy_order`.

    Hosts that share a pair, directly or through a chain of pairs, are one lane and go one
    at a time (BACKUP first); separate pairs carry separate traffic, so they go side by side.
    """
    order = deploy_order(model, probes, hosts)
    groups: list[set[str]] = []
    for pair in model.vip_pairs:
        members = {h for h in pair.hosts if h in hosts}
        joined = [g for g in groups if g & members]
        groups = [g for g in groups if not g & members] + [members.union(*joined)]
    groups += [{h} for h in hosts if not any(h in g for g in groups)]
    lanes = [[h for h in order if h in group] for group in groups if group]
    return sorted(lanes, key=lambda lane: order.index(lane[0]))


def _held(probe: HostProbe | None) -> list[str]:
    if probe is None:
        return []
    return [str(ipaddress.ip_interface(a).ip) for a in probe.addresses]


def masters(model: LbModel, probes: dict[str, HostProbe]) -> dict[str, str]:
    """Return pair name -> host currently holding its first VIP (absent when none does)."""
    found = {}
    for pair in model.vip_pairs:
        vip = vip_address(pair.vips[0])
        for host in pair.hosts:
            if vip in _held(probes.get(host)):
                found[pair.name] = host
    return found


def stale_servers(old_cfg: str | None, new_cfg: str) -> list[str]:
    """Return servers whose address, port or TLS changed: their saved state must not return."""
    if not old_cfg:
        return []
    old, new = read_haproxy_cfg(old_cfg).servers, read_haproxy_cfg(new_cfg).servers
    return sorted(name for name, server in new.items() if name in old and _moved(old[name], server))


def _moved(old: Server, new: Server) -> bool:
    return (old.address, old.tls) != (new.address, new.tls)


def keepalived_phases(old_conf: str | None, new_conf: str) -> list[str]:
    """Return the keepalived.conf texts to load in order.

    keepalived cannot move a VIP from one VRRP instance to another in one reload: the
    first reload removes the moving VIPs, the second adds them to their new instance.
    """
    if not old_conf:
        return [new_conf]
    new_read = read_keepalived_conf(new_conf)
    old, new = read_keepalived_conf(old_conf).vip_instances, new_read.vip_instances
    moving = {vip for vip, name in new.items() if vip in old and old[vip] != name}
    if not moving:
        return [new_conf]
    dropped = {v.line for i in new_read.instances for v in i.vips if v.address in moving}
    lines = new_conf.split("\n")
    without = "\n".join(line for n, line in enumerate(lines, start=1) if n not in dropped)
    return [without, new_conf]


def vip_moves(host: str, old_conf: str | None, new_conf: str) -> list[str]:
    """Return, in words, each VIP a deploy of `new_conf` on `host` may move to another host.

    A VIP changing VRRP instance leaves the host between the two keepalived reloads; a
    changed priority can make the peer (or this host) preempt the instance's VIPs.
    """
    if not old_conf:
        return []
    old_read, new_read = read_keepalived_conf(old_conf), read_keepalived_conf(new_conf)
    old, new = old_read.vip_instances, new_read.vip_instances
    lines = [
        f"{host}: VIP {vip} moves from VRRP instance {old[vip]} to {name}: "
        "it may change host between the two keepalived reloads"
        for vip, name in new.items()
        if vip in old and old[vip] != name
    ]
    lines += [
        f"{host}: VIP {vip} is new in VRRP instance {name}"
        for vip, name in new.items()
        if vip not in old
    ]
    lines += [
        f"{host}: VIP {vip} leaves (VRRP instance {name})"
        for vip, name in old.items()
        if vip not in new
    ]
    before, after = _priorities(old_read), _priorities(new_read)
    for name, priority in after.items():
        if name in before and before[name] != priority:
            vips = ", ".join(v for v, i in new.items() if i == name)
            lines.append(
                f"{host}: VRRP instance {name} priority {before[name]} -> {priority}: "
                f"its VIPs ({vips}) may move when the pair preempts"
            )
    lines += [
        f"{host}: VRRP instance {name}: the VIPs its adverts carry change "
        f"({', '.join(was) or '-'} -> {', '.join(now) or '-'}): until both hosts are "
        "deployed both may hold the VIPs (split brain); advertised_vips: first avoids it"
        for name, was, now in advert_changes(old_conf, new_conf)
    ]
    return lines


def _priorities(conf: KeepalivedConfig) -> dict[str, int]:
    return {i.name: i.priority for i in conf.instances if i.priority is not None}
