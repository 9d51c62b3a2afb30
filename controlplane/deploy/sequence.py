"""What a deploy must do per host: order, stale server states, keepalived reload phases."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ..model import LbModel, vip_address

_SECTION = re.compile(r"^(backend|frontend|listen|peers|defaults|global)\s+(\S+)", re.MULTILINE)
_SERVER = re.compile(r"^\s+server (\S+) (\S+)(.*)$")
_INSTANCE = re.compile(r"^vrrp_instance (\S+) \{$")
_VIP_LINE = re.compile(r"^\s+(\d+\.\d+\.\d+\.\d+/\d+) dev \S+$")


@dataclass(frozen=True)
class HostProbe:
    """What a host told us: its deployed files and the addresses it holds."""

    host: str
    reachable: bool
    files: dict[str, str | None]
    addresses: list[str]
    error: str = ""


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


def server_endpoints(haproxy_cfg: str) -> dict[str, str]:
    """Return 'backend/server' -> 'address:port ssl?' for every server line."""
    endpoints: dict[str, str] = {}
    backend = None
    for line in haproxy_cfg.splitlines():
        section = _SECTION.match(line)
        if section:
            backend = section.group(2) if section.group(1) == "backend" else None
            continue
        server = _SERVER.match(line)
        if backend and server:
            tls = " ssl" if " ssl " in f"{server.group(3)} " else ""
            endpoints[f"{backend}/{server.group(1)}"] = server.group(2) + tls
    return endpoints


def stale_servers(old_cfg: str | None, new_cfg: str) -> list[str]:
    """Return servers whose address, port or TLS changed: their saved state must not return."""
    if not old_cfg:
        return []
    old, new = server_endpoints(old_cfg), server_endpoints(new_cfg)
    return sorted(name for name, endpoint in new.items() if name in old and old[name] != endpoint)


def instance_vips(keepalived_conf: str) -> dict[str, str]:
    """Return VIP (with prefix) -> name of the VRRP instance that carries it."""
    found: dict[str, str] = {}
    instance = None
    for line in keepalived_conf.splitlines():
        start = _INSTANCE.match(line)
        if start:
            instance = start.group(1)
            continue
        vip = _VIP_LINE.match(line)
        if instance and vip:
            found[vip.group(1)] = instance
    return found


def keepalived_phases(old_conf: str | None, new_conf: str) -> list[str]:
    """Return the keepalived.conf texts to load in order.

    keepalived cannot move a VIP from one VRRP instance to another in one reload: the
    first reload removes the moving VIPs, the second adds them to their new instance.
    """
    if not old_conf:
        return [new_conf]
    old, new = instance_vips(old_conf), instance_vips(new_conf)
    moving = {vip for vip, name in new.items() if vip in old and old[vip] != name}
    if not moving:
        return [new_conf]
    without = "\n".join(
        line
        for line in new_conf.split("\n")
        if not (_VIP_LINE.match(line) and _VIP_LINE.match(line).group(1) in moving)  # type: ignore[union-attr]
    )
    return [without, new_conf]


_PRIORITY = re.compile(r"^\s+priority (\d+)$", re.MULTILINE)


def instance_priorities(keepalived_conf: str) -> dict[str, int]:
    """Return VRRP instance name -> configured priority."""
    found: dict[str, int] = {}
    for block in re.split(r"^(?=vrrp_instance )", keepalived_conf, flags=re.MULTILINE):
        start = _INSTANCE.match(block.split("\n", 1)[0])
        priority = _PRIORITY.search(block)
        if start and priority:
            found[start.group(1)] = int(priority.group(1))
    return found


def vip_moves(host: str, old_conf: str | None, new_conf: str) -> list[str]:
    """Return, in words, each VIP a deploy of `new_conf` on `host` may move to another host.

    A VIP changing VRRP instance leaves the host between the two keepalived reloads; a
    changed priority can make the peer (or this host) preempt the instance's VIPs.
    """
    if not old_conf:
        return []
    old, new = instance_vips(old_conf), instance_vips(new_conf)
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
    before, after = instance_priorities(old_conf), instance_priorities(new_conf)
    for name, priority in after.items():
        if name in before and before[name] != priority:
            vips = ", ".join(v for v, i in new.items() if i == name)
            lines.append(
                f"{host}: VRRP instance {name} priority {before[name]} -> {priority}: "
                f"its VIPs ({vips}) may move when the pair preempts"
            )
    return lines
