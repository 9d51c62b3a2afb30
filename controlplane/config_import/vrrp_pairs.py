"""Which VRRP instances of the hosts make up each VIP pair.

Two instances on two hosts are one pair when they share `virtual_router_id` and VIPs
(advertised and excluded alike). The interface is each host's own (lb_hosts[].interface),
so it may differ between the two. A host may hold instances of several pairs: lb2 in
lb1+lb2 and in lb3+lb2. When more than two hosts hold the same id and VIPs, an instance
pairs with the one its unicast peer names, if that one names it back; any other instance
(multicast groups of three, instances with no partner) is reported.

lbctl renders an active-active pair as instances NAME:1 ... NAME:n, one VIP each, with
consecutive router ids and the preferred master alternating between the two hosts; such a
run is found again and becomes one active-active pair.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .report import Report

if TYPE_CHECKING:
    from .keepalived_mapping import Instance

_NUMBERED = re.compile(r"(?P<base>.+):(?P<number>[1-9][0-9]*)")
# Fields that may differ between the instances of one active-active run on one host.
_PER_INSTANCE = frozenset({"name", "where", "vrid", "vips", "excluded", "priority", "state"})


@dataclass(frozen=True)
class Match:
    """Two instances of one pair: the preferred master's and the backup's."""

    master: Instance
    backup: Instance


@dataclass(frozen=True)
class Run:
    """The instances of one model pair: one match, or the matches of an active-active pair."""

    name: str
    matches: tuple[Match, ...]


def match(a: Instance, b: Instance) -> Match:
    """The preferred master is the higher priority, or at equal priority `state MASTER`."""
    if (a.priority, a.state == "MASTER") >= (b.priority, b.state == "MASTER"):
        return Match(a, b)
    return Match(b, a)


def match_instances(hosts: dict[str, list[Instance]], report: Report) -> list[Match]:
    """Return the pairs of instances, in the order the first of each was read."""
    groups: dict[tuple[int, frozenset[str]], list[Instance]] = {}
    for instances in hosts.values():
        for inst in instances:
            groups.setdefault((inst.vrid, frozenset(inst.all_vips)), []).append(inst)
    found: list[Match] = []
    for members in groups.values():
        if len(members) == 2 and members[0].host != members[1].host:
            found.append(match(*members))
            continue
        paired = _by_unicast_peers(members)
        found += paired
        taken = {id(i) for m in paired for i in (m.master, m.backup)}
        for inst in members:
            if id(inst) not in taken:
                report.add(
                    "dropped",
                    inst.where,
                    f"vrrp_instance {inst.name}",
                    "no instance with the same virtual_router_id and VIPs on exactly one "
                    "other host (or naming it as its unicast peer)",
                )
    return found


def _by_unicast_peers(members: list[Instance]) -> list[Match]:
    """Pair instances whose only unicast peer is the other's unicast_src_ip, both ways."""
    found = []
    for i, a in enumerate(members):
        for b in members[i + 1 :]:
            if (
                a.host != b.host
                and a.src_ip
                and b.src_ip
                and a.peers == [b.src_ip]
                and b.peers == [a.src_ip]
            ):
                found.append(match(a, b))
    return found


def runs(found: list[Match]) -> list[Run]:
    """Return the model's pairs: active-active runs joined, every other match alone."""
    out: list[Run] = []
    used: set[int] = set()
    counts = Counter(m.master.name for m in found)
    by_name = {m.master.name: m for m in found if counts[m.master.name] == 1}
    for m in found:
        if id(m) in used:
            continue
        numbered = _NUMBERED.fullmatch(m.master.name)
        if numbered and numbered["number"] == "1" and m.master.name in by_name:
            run = _active_active(numbered["base"], by_name)
            if run is not None:
                used |= {id(x) for x in run.matches}
                out.append(run)
                continue
        used.add(id(m))
        out.append(Run(m.master.name, (m,)))
    return out


def _active_active(base: str, by_name: dict[str, Match]) -> Run | None:
    first = by_name[f"{base}:1"]
    hosts = (first.master.host, first.backup.host)
    matches = [first]
    while f"{base}:{len(matches) + 1}" in by_name:
        matches.append(by_name[f"{base}:{len(matches) + 1}"])
    if len(matches) < 2:
        return None
    for k, m in enumerate(matches):
        preferred = hosts[k % 2]
        if (
            m.master.host != preferred
            or m.backup.host != hosts[(k + 1) % 2]
            or m.master.vrid != first.master.vrid + k
            or len(m.master.all_vips) != 1
            or (m.master.priority, m.backup.priority)
            != (first.master.priority, first.backup.priority)
        ):
            return None
    for host in hosts:
        same = [_settings(i) for m in matches for i in (m.master, m.backup) if i.host == host]
        if any(s != same[0] for s in same):
            return None
    return Run(base, tuple(matches))


def _settings(inst: Instance) -> dict[str, Any]:
    return {
        f.name: getattr(inst, f.name)
        for f in dataclasses.fields(inst)
        if f.name not in _PER_INSTANCE
    }


def interface_differences(
    lb_hosts: list[dict[str, str]], hosts: dict[str, list[Instance]], report: Report
) -> None:
    """Report the paired instances whose interface is not their host's lb_hosts interface.

    The model sends every VRRP instance of a host on that host's one interface: a host
    whose instances of two pairs use two interfaces gets both on the first one's.
    """
    interface = {h["name"]: h["interface"] for h in lb_hosts}
    for host, instances in hosts.items():
        for inst in instances:
            if inst.interface and inst.interface != interface.get(host, inst.interface):
                report.add(
                    "differs",
                    inst.where,
                    f"vrrp_instance {inst.name} interface {inst.interface}",
                    f"the model sends {host}'s adverts on {interface[host]} (lb_hosts interface)",
                )
