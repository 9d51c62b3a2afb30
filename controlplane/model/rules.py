"""Rules that relate model objects to each other, checked after every field is valid.

Each rule yields FieldErrors naming the offending field by path, so a document with
ten problems reports all ten at once. Warnings are for things that work but are
probably not what the operator meant.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..errors import FieldError
from .access import access_errors
from .binds import bind_errors, bind_warnings
from .duplicates import duplicate_errors
from .extra_advice import extra_advice
from .keepalived_options import check_keepalived_options, keepalived_warnings
from .proxy_rules import proxy_errors, proxy_warnings
from .resolvers import resolver_errors, resolver_warnings
from .routing import computes_pool, frontend_pools, rule_errors, rule_warnings
from .schema import Frontend, LbModel, Pool, VipPair
from .tls_rules import tls_file_errors, tls_file_warnings
from .types import duration_ms


@dataclass
class Findings:
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)


def vrrp_version(pair: VipPair) -> int:
    """Return the VRRP version a pair runs: explicit, else 3 for sub-second adverts."""
    if pair.vrrp_version is not None:
        return pair.vrrp_version
    return 3 if duration_ms(pair.advert_interval) < 1000 else 2


def vrrp_router_ids(pair: VipPair) -> list[int]:
    """Return the virtual_router_ids a pair uses: one, or one per VIP when active-active."""
    count = len(pair.vips) if pair.mode == "active-active" else 1
    return [pair.virtual_router_id + i for i in range(count)]


# Cached: the rules ask for every frontend's VIP, and parsing one costs 50-90 us.
@functools.lru_cache(maxsize=4096)
def vip_address(vip: str) -> str:
    return str(ipaddress.ip_interface(vip).ip)


def check_model(model: LbModel) -> Findings:
    """Return every cross-reference error and warning in a field-valid model."""
    found = Findings()
    for rule in (
        _unique_names,
        _lb_hosts,
        _vip_pair_hosts,
        _vrrp,
        _vips,
        _health_checks,
        _pools,
        _frontends,
        _pool_modes,
        _settings,
        proxy_errors,
        check_keepalived_options,
        resolver_errors,
        bind_errors,
        rule_errors,
        access_errors,
        tls_file_errors,
    ):
        found.errors.extend(rule(model))
    found.warnings.extend(_unused(model))
    found.warnings.extend(rule_warnings(model))
    found.warnings.extend(proxy_warnings(model))
    found.warnings.extend(keepalived_warnings(model))
    found.warnings.extend(extra_advice(model))
    found.warnings.extend(resolver_warnings(model))
    found.warnings.extend(bind_warnings(model))
    found.warnings.extend(tls_file_warnings(model))
    return found


# difflib takes up to ~1 ms to compare two 63-character names, so a hostile document with
# thousands of near-miss references to thousands of names would take minutes to refuse.
# Each rule searches hints for its first few unknown references, among the first names.
_HINT_SEARCHES = 3
_HINT_CANDIDATES = 100


class _Unknowns:
    """Builds 'unknown reference' errors for one rule, with 'did you mean' while affordable."""

    def __init__(self) -> None:
        self._searches_left = _HINT_SEARCHES

    def error(self, path: str, kind: str, value: str, known: Iterable[str]) -> FieldError:
        shown = [repr(k) for k in itertools.islice(known, 8)]
        listed = ", ".join(shown) if shown else "none defined"
        return FieldError(
            path, f"unknown {kind} {value!r}{self._did_you_mean(value, known)} (known: {listed})"
        )

    def _did_you_mean(self, value: str, known: Iterable[str]) -> str:
        if self._searches_left <= 0:
            return ""
        self._searches_left -= 1
        candidates = list(itertools.islice(known, _HINT_CANDIDATES))
        close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
        return f"; did you mean {close[0]!r}?" if close else ""


def _unique_names(model: LbModel) -> Iterator[FieldError]:
    for section in ("lb_hosts", "vip_pairs", "health_checks", "pools", "frontends"):
        yield from duplicate_errors(section, getattr(model, section))
    for pool in model.pools:
        # At 50,000 servers a set of the names says "none twice" in a third of the walk's time.
        if len({server.name for server in pool.servers}) < len(pool.servers):
            yield from duplicate_errors(f"pools[{pool.name}].servers", pool.servers)


def _lb_hosts(model: LbModel) -> Iterator[FieldError]:
    yield from duplicate_errors("lb_hosts", model.lb_hosts, key="address", label="address")


def _vip_pair_hosts(model: LbModel) -> Iterator[FieldError]:
    known = dict.fromkeys(h.name for h in model.lb_hosts)  # ordered, for hints; O(1) lookups
    unknowns = _Unknowns()
    for pair in model.vip_pairs:
        path = f"vip_pairs[{pair.name}].hosts"
        if len(pair.hosts) != 2:
            yield FieldError(path, f"must name exactly two lb_hosts, got {len(pair.hosts)}")
        elif pair.hosts[0] == pair.hosts[1]:
            yield FieldError(path, f"must name two different lb_hosts, got {pair.hosts[0]!r} twice")
        for i, host in enumerate(pair.hosts):
            if host not in known:
                yield unknowns.error(f"{path}[{i}]", "lb_host", host, known)


def _vrrp(model: LbModel) -> Iterator[FieldError]:
    for pair in model.vip_pairs:
        path = f"vip_pairs[{pair.name}]"
        advert = duration_ms(pair.advert_interval)
        version = vrrp_version(pair)
        if version == 2:
            if advert < 1000:
                yield FieldError(
                    f"{path}.advert_interval",
                    f"VRRPv2 cannot advertise faster than 1s, got {pair.advert_interval}; "
                    "use vrrp_version: 3 (or leave it unset) for sub-second adverts",
                )
            elif advert % 1000 or advert > 255_000:
                yield FieldError(
                    f"{path}.advert_interval",
                    f"VRRPv2 needs whole seconds from 1s to 255s, got {pair.advert_interval}",
                )
        elif advert % 10 or advert > 40_950:
            yield FieldError(
                f"{path}.advert_interval",
                f"VRRPv3 needs a multiple of 10ms up to 40.95s, got {pair.advert_interval}",
            )
        if version == 3 and pair.authentication is not None:
            yield FieldError(
                f"{path}.authentication",
                "VRRPv3 has no authentication (keepalived refuses it); remove it or use "
                "VRRPv2 with an advert_interval of 1s or more",
            )
        last_id = vrrp_router_ids(pair)[-1]
        if last_id > 255:
            yield FieldError(
                f"{path}.virtual_router_id",
                f"active-active with {len(pair.vips)} vips uses ids {pair.virtual_router_id}-"
                f"{last_id}, past 255; start at {256 - len(pair.vips)} or lower",
            )
        delay = duration_ms(pair.preempt_delay) if pair.preempt_delay else None
        if delay is not None and not 1 <= delay <= 1_000_000:
            # keepalived's own range is 0-1000s; it cannot read a delay printed as 1e-05.
            yield FieldError(
                f"{path}.preempt_delay",
                f"keepalived needs 1ms to 1000s, got {pair.preempt_delay}",
            )
        if pair.mode == "active-active" and len(pair.vips) < 2:
            yield FieldError(f"{path}.vips", "active-active needs at least two vips, got 1")
        if pair.master_priority <= pair.backup_priority:
            yield FieldError(
                f"{path}.master_priority",
                f"must be above backup_priority ({pair.backup_priority}), "
                f"got {pair.master_priority}",
            )
        elif pair.track_weight and pair.master_priority - pair.track_weight >= pair.backup_priority:
            yield FieldError(
                f"{path}.track_weight",
                f"a failed HAProxy check would leave the master at priority "
                f"{pair.master_priority - pair.track_weight}, not below the backup's "
                f"{pair.backup_priority}, so the VIPs would not move; use more than "
                f"{pair.master_priority - pair.backup_priority}",
            )
    yield from _router_id_clashes(model)


def _router_id_clashes(model: LbModel) -> Iterator[FieldError]:
    interfaces = {h.name: h.interface for h in model.lb_hosts}
    owner: dict[tuple[str, str, int], str] = {}
    for pair in model.vip_pairs:
        for host in dict.fromkeys(pair.hosts):
            if host not in interfaces:
                continue
            for router_id in vrrp_router_ids(pair):
                key = (host, interfaces[host], router_id)
                if key in owner and owner[key] != pair.name:
                    yield FieldError(
                        f"vip_pairs[{pair.name}].virtual_router_id",
                        f"virtual_router_id {router_id} is already used by vip_pairs"
                        f"[{owner[key]}] on {host}/{interfaces[host]}",
                    )
                owner.setdefault(key, pair.name)


def _vips(model: LbModel) -> Iterator[FieldError]:
    host_addresses = {h.address: h.name for h in model.lb_hosts}
    seen: dict[str, str] = {}
    for pair in model.vip_pairs:
        for i, vip in enumerate(pair.vips):
            path = f"vip_pairs[{pair.name}].vips[{i}]"
            address = vip_address(vip)
            if address in seen:
                yield FieldError(
                    path, f"VIP {address} is already used by vip_pairs[{seen[address]}]"
                )
            seen.setdefault(address, pair.name)
            if address in host_addresses:
                yield FieldError(
                    path, f"VIP {address} is the address of lb_host {host_addresses[address]!r}"
                )


def _health_checks(model: LbModel) -> Iterator[FieldError]:
    known = dict.fromkeys(c.name for c in model.health_checks)
    unknowns = _Unknowns()
    for pool in model.pools:
        if pool.health_check is not None and pool.health_check not in known:
            yield unknowns.error(
                f"pools[{pool.name}].health_check", "health check", pool.health_check, known
            )


def _pools(model: LbModel) -> Iterator[FieldError]:
    for pool in model.pools:
        path = f"pools[{pool.name}]"
        # A pool with neither servers nor templates is resolvers.py's error.
        if pool.servers and all(s.backup for s in pool.servers) and not pool.server_templates:
            yield FieldError(
                f"{path}.servers", "every server is a backup: at least one must not be"
            )
        if len({(s.address, s.port) for s in pool.servers}) == len(pool.servers):
            continue  # no endpoint twice: the common case, known without the walk below
        endpoints: dict[tuple[str, int], str] = {}
        for server in pool.servers:
            key = (server.address, server.port)
            if key in endpoints:
                yield FieldError(
                    f"{path}.servers[{server.name}]",
                    f"{server.address}:{server.port} is also server {endpoints[key]!r}",
                )
            endpoints.setdefault(key, server.name)


def _frontends(model: LbModel) -> Iterator[FieldError]:
    pairs = {p.name: p for p in model.vip_pairs}
    pools = dict.fromkeys(p.name for p in model.pools)  # ordered, for hints; O(1) lookups
    bound: dict[tuple[str, int], str] = {}
    unknowns = _Unknowns()
    for fe in model.frontends:
        path = f"frontends[{fe.name}]"
        pair = pairs.get(fe.vip_pair)
        if pair is None:
            yield unknowns.error(f"{path}.vip_pair", "vip_pair", fe.vip_pair, pairs)
        else:
            addresses = [vip_address(v) for v in pair.vips]
            if fe.vip is not None and fe.vip not in addresses:
                yield FieldError(
                    f"{path}.vip",
                    f"{fe.vip} is not a VIP of vip_pairs[{pair.name}] ({', '.join(addresses)})",
                )
            key = (frontend_vip(fe, pair), fe.port)
            if key in bound:
                yield FieldError(
                    f"{path}.port",
                    f"{key[0]}:{fe.port} is already bound by frontends[{bound[key]}]",
                )
            bound.setdefault(key, fe.name)
        if fe.default_pool is not None and fe.default_pool not in pools:
            yield unknowns.error(f"{path}.default_pool", "pool", fe.default_pool, pools)
        if not (fe.rules or frontend_pools(fe) or computes_pool(fe)):
            yield FieldError(path, "needs a default_pool, routes or rules")
        yield from _routes(fe, pools, unknowns)


def frontend_vip(fe: Frontend, pair: VipPair) -> str:
    """Return the address a frontend binds: its own vip, else its pair's first."""
    return fe.vip or vip_address(pair.vips[0])


def _routes(fe: Frontend, pools: dict[str, None], unknowns: _Unknowns) -> Iterator[FieldError]:
    path = f"frontends[{fe.name}].routes"
    if fe.mode == "tcp" and fe.routes:
        yield FieldError(path, "a tcp frontend cannot route by host or path; use mode: http")
        return
    seen: dict[tuple[str | None, str | None], int] = {}
    catch_all_hosts: dict[str, int] = {}
    for i, route in enumerate(fe.routes):
        if route.pool not in pools:
            yield unknowns.error(f"{path}[{i}].pool", "pool", route.pool, pools)
        key = (route.host, route.path_prefix)
        if key in seen:
            yield FieldError(f"{path}[{i}]", f"same match as routes[{seen[key]}], never reached")
        elif route.host in catch_all_hosts:
            yield FieldError(
                f"{path}[{i}]",
                f"routes[{catch_all_hosts[route.host]}] already takes every path of "
                f"{route.host}, so this route is never reached; put it first",
            )
        seen.setdefault(key, i)
        if route.host is not None and route.path_prefix is None:
            catch_all_hosts.setdefault(route.host, i)


def pool_users(model: LbModel) -> dict[str, list[Frontend]]:
    """Return, per pool name, the frontends that send traffic to it."""
    users: dict[str, list[Frontend]] = defaultdict(list)
    for fe in model.frontends:
        for name in frontend_pools(fe):
            users[name].append(fe)
    # `use_backend %[req.hdr(x-pool),lower]` may send to any pool: those no frontend names
    # are that frontend's (their mode is its mode).
    computing = [fe for fe in model.frontends if computes_pool(fe)]
    for pool in model.pools if computing else []:
        if pool.name not in users:
            users[pool.name].extend(computing)
    return users


def pool_mode(pool: Pool, users: list[Frontend]) -> str:
    """Return the backend mode: http when an http frontend uses the pool, else tcp."""
    return "http" if any(fe.mode == "http" for fe in users) else "tcp"


def _pool_modes(model: LbModel) -> Iterator[FieldError]:
    users = pool_users(model)
    for pool in model.pools:
        path = f"pools[{pool.name}]"
        modes: dict[str, str] = {}
        for fe in users.get(pool.name, []):
            modes.setdefault(fe.mode, fe.name)
        if len(modes) > 1:
            yield FieldError(
                path,
                f"used by http frontend {modes['http']!r} and tcp frontend {modes['tcp']!r}; "
                "a pool serves one mode, so split it in two",
            )
        elif modes.get("tcp"):
            if pool.sticky == "cookie":
                yield FieldError(f"{path}.sticky", "cookie stickiness needs http frontends")
            if pool.balance == "uri":
                yield FieldError(f"{path}.balance", "balance uri needs http frontends")
        pairs = {fe.vip_pair for fe in users.get(pool.name, [])}
        if pool.sticky == "source" and len(pairs) > 1:
            yield FieldError(
                f"{path}.sticky",
                f"a source-sticky pool is replicated within one vip pair, but it is used by "
                f"{', '.join(sorted(pairs))}; give each pair its own pool",
            )


def _settings(model: LbModel) -> Iterator[FieldError]:
    s = model.settings
    if s.monitor_port == s.metrics_port:
        yield FieldError(
            "settings.metrics_port", f"must differ from monitor_port ({s.monitor_port})"
        )
    pairs = {p.name: p for p in model.vip_pairs}
    for fe in model.frontends:
        pair = pairs.get(fe.vip_pair)
        admin_ports = (s.monitor_port, s.metrics_port)
        if pair and frontend_vip(fe, pair) == s.admin_address and fe.port in admin_ports:
            yield FieldError(
                f"frontends[{fe.name}].port",
                f"{s.admin_address}:{fe.port} is taken by the monitor/metrics listeners",
            )


def _unused(model: LbModel) -> Iterator[FieldError]:
    users = pool_users(model)
    for pool in model.pools:
        if pool.name not in users:
            yield FieldError(
                f"pools[{pool.name}]", "no frontend uses this pool; it is not rendered"
            )
    used_checks = {p.health_check for p in model.pools}
    for check in model.health_checks:
        if check.name not in used_checks:
            yield FieldError(f"health_checks[{check.name}]", "no pool uses this health check")
    paired = {h for p in model.vip_pairs for h in p.hosts}
    for host in model.lb_hosts:
        if host.name not in paired:
            yield FieldError(
                f"lb_hosts[{host.name}]", "in no vip pair: it gets no frontends and no VRRP"
            )
    for fe in model.frontends:
        if fe.maxconn and fe.maxconn > model.settings.maxconn:
            yield FieldError(
                f"frontends[{fe.name}].maxconn",
                f"above settings.maxconn ({model.settings.maxconn}), which caps it",
            )
