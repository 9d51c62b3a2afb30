"""The haproxy.cfg of one LB host: its pairs' frontends and the pools they use.

Every decision (which frontends a host serves, server keywords, TLS defaults) is made here
in plain Python that tests can reach; the template only loops and prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from ..model import (
    Frontend,
    HealthCheck,
    LbModel,
    Pool,
    VipPair,
    frontend_vip,
    pool_mode,
    pool_users,
)
from ..model.routing import computes_pool, frontend_pools
from .acme import acme_pairs, frontend_challenge_lines
from .binds import frontend_binds
from .host_paths import ADMIN_SOCKET, MONITOR_URI, SERVER_STATE_FILE
from .proxies import (
    StatsPageContext,
    UserlistContext,
    compression_lines,
    default_server_line,
    frontend_log_lines,
    frontend_timeout_lines,
    global_log_lines,
    health_check_lines,
    log_format_lines,
    pool_timeout_lines,
    server_option_words,
    stats_pages,
    tuning_lines,
    userlists,
)
from .resolvers import ResolversContext, follow_dns, resolvers_sections, server_template_lines
from .routing import frontend_rules, routing
from .tls import (
    FileRefs,
    bind_tls,
    error_page_lines,
    hsts_lines,
    server_tls,
    tls_global_lines,
)


@dataclass(frozen=True)
class BackendContext:
    name: str
    mode: str
    balance: str
    lines: list[str]
    default_server: str
    servers: list[str]  # "NAME ADDRESS:PORT PARAMS...", one `server` line each
    extra: list[str]
    server_templates: list[str] = field(default_factory=list)  # "PREFIX COUNT NAME PARAMS..."


@dataclass(frozen=True)
class FrontendContext:
    name: str
    bind: str
    mode: str
    lines: list[str]
    acls: list[tuple[str, str]]
    rule_lines: list[str]  # access, rate limit and rules: after the ACLs, before use_backend
    use_backends: list[tuple[str, str]]
    default_backend: str | None
    extra: list[str]
    more_binds: list[str] = field(default_factory=list)  # the model's `binds`, after the VIP's


@dataclass(frozen=True)
class PeersContext:
    name: str
    peers: list[tuple[str, str]]


@dataclass(frozen=True)
class HaproxyContext:
    host: str
    global_lines: list[str]
    default_lines: list[str]
    peers: list[PeersContext]
    admin_address: str
    monitor_port: int
    monitor_uri: str
    metrics_port: int
    frontends: list[FrontendContext]
    backends: list[BackendContext]
    userlists: list[UserlistContext] = field(default_factory=list)
    stats_pages: list[StatsPageContext] = field(default_factory=list)
    resolvers: list[ResolversContext] = field(default_factory=list)


def host_pairs(model: LbModel, host: str) -> list[VipPair]:
    """Return the VIP pairs `host` belongs to, in model order."""
    return [p for p in model.vip_pairs if host in p.hosts]


@dataclass(frozen=True)
class HostScope:
    """What one host's haproxy.cfg is made of: its pairs, frontends and pools, in model order.

    `peered` names the pairs whose stick tables or rate-limit counters sync through peers.
    """

    host: str
    pairs: dict[str, VipPair]
    frontends: list[Frontend]
    pools: list[Pool]
    peered: set[str]


def host_scope(model: LbModel, host: str, users: dict[str, list[Frontend]]) -> HostScope:
    """Return the pairs, frontends and pools of `host` (`users` is pool_users(model))."""
    pairs = {p.name: p for p in host_pairs(model, host)}
    frontends = [fe for fe in model.frontends if fe.vip_pair in pairs]
    served = {name for fe in frontends for name in frontend_pools(fe)}
    if any(computes_pool(fe) for fe in frontends):
        served = {p.name for p in model.pools}  # `use_backend %[...]` may name any of them
    served |= _tables_named(model, frontends, served)
    pools = [p for p in model.pools if p.name in served]
    peered = {fe.vip_pair for p in pools if p.sticky == "source" for fe in users.get(p.name, [])}
    peered |= {fe.vip_pair for fe in frontends if fe.rate_limit is not None}  # counters too
    return HostScope(host, pairs, frontends, pools, peered)


class SectionBuilder:
    """Builds the context of one frontend or one pool's backend, as haproxy_context does."""

    def __init__(self, model: LbModel, users: dict[str, list[Frontend]]) -> None:
        self.model = model
        self.users = users
        self.checks = {c.name: c for c in model.health_checks}
        self.with_acme = acme_pairs(model)
        self.refs = FileRefs.of(model)

    def frontend(self, fe: Frontend, pair: VipPair) -> FrontendContext:
        challenge = frontend_challenge_lines(self.model, fe, self.with_acme)
        return _frontend(fe, pair, challenge, self.refs)

    def backend(self, pool: Pool) -> BackendContext:
        return _backend(pool, self.users.get(pool.name, []), self.checks, self.refs)


def haproxy_context(
    model: LbModel,
    host: str,
    users: dict[str, list[Frontend]] | None = None,
    frontends_built: dict[str, FrontendContext] | None = None,
    backends_built: dict[str, BackendContext] | None = None,
) -> HaproxyContext:
    """Return what haproxy.cfg prints for one host: its pairs' frontends and their pools.

    The `*_built` dicts keep each frontend's and pool's context across the hosts of one
    rendering (a frontend belongs to one pair, so its context is the same on both hosts).
    """
    users = pool_users(model) if users is None else users
    frontends_built = {} if frontends_built is None else frontends_built
    backends_built = {} if backends_built is None else backends_built
    scope = host_scope(model, host, users)
    build = SectionBuilder(model, users)
    return haproxy_prefix(
        model,
        scope,
        frontends=[
            _built(
                frontends_built,
                fe.name,
                partial(build.frontend, fe, scope.pairs[fe.vip_pair]),
            )
            for fe in scope.frontends
        ],
        backends=[_built(backends_built, p.name, partial(build.backend, p)) for p in scope.pools],
    )


def haproxy_prefix(
    model: LbModel,
    scope: HostScope,
    frontends: list[FrontendContext] | None = None,
    backends: list[BackendContext] | None = None,
) -> HaproxyContext:
    """Return a host's context with the given frontends and backends (none by default).

    With none, the template prints everything before the first frontend of the model: the
    file is that text followed by each frontend's and each backend's own text
    (render/sections.py relies on it).
    """
    s = model.settings
    return HaproxyContext(
        host=scope.host,
        global_lines=_global_lines(model, scope.host, bool(scope.peered)),
        default_lines=_default_lines(model),
        peers=[_peers(model, scope.pairs[name]) for name in scope.pairs if name in scope.peered],
        admin_address=s.admin_address,
        monitor_port=s.monitor_port,
        monitor_uri=MONITOR_URI,
        metrics_port=s.metrics_port,
        frontends=frontends or [],
        backends=backends or [],
        userlists=userlists(model),
        stats_pages=stats_pages(model, scope.pairs),
        resolvers=resolvers_sections(model, scope.pools),
    )


def peers_section_name(pair: str) -> str:
    # ':' cannot appear in model names, so this never clashes with a user's section.
    return f"lbctl:{pair}"


def _tables_named(model: LbModel, frontends: list[Frontend], served: set[str]) -> set[str]:
    """Return the pools without servers that the `extra` lines of a host's proxies name.

    Such a pool holds a stick table (`lbctl import` keeps `backend per_ip` with only its
    `stick-table` line), which `track-sc0 src table per_ip` or `sc_http_req_rate(0,per_ip)`
    in another proxy's extra lines reads: it is rendered wherever one of them is.
    """
    holders = [p.name for p in model.pools if not p.servers and not p.server_templates]
    if not holders:
        return set()
    lines = [ln for fe in frontends for ln in fe.extra]
    lines += [ln for p in model.pools if p.name in served for ln in p.extra]
    text = "\n".join(lines)
    return {name for name in holders if re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", text)}


def _global_lines(model: LbModel, host: str, peered: bool) -> list[str]:
    s = model.settings
    lines = [
        *global_log_lines(s),
        "master-worker",
        "user haproxy",
        "group haproxy",
        *([f"chroot {s.chroot}"] if s.chroot else []),
        f"maxconn {s.maxconn}",
        # expose-fd hands listening sockets to the new worker on reload: no refused SYNs.
        f"stats socket {ADMIN_SOCKET} mode 660 level admin expose-fd listeners",
        "stats timeout 30s",
        f"server-state-file {SERVER_STATE_FILE}",
        f"hard-stop-after {s.hard_stop_after}",
        *([f"localpeer {host}"] if peered else []),
        *tls_global_lines(s.tls),
        *tuning_lines(s),
        *s.extra,
    ]
    return lines


def _default_lines(model: LbModel) -> list[str]:
    s = model.settings
    t = s.timeouts
    return [
        "mode http",
        "log global",
        "option dontlognull",
        "option redispatch",
        f"retries {s.retries}",
        f"timeout connect {t.connect}",
        f"timeout client {t.client}",
        f"timeout server {t.server}",
        f"timeout http-request {t.http_request}",
        f"timeout http-keep-alive {t.http_keep_alive}",
        f"timeout queue {t.queue}",
        f"timeout check {t.check}",
        f"timeout tunnel {t.tunnel}",
        "load-server-state-from-file global",
    ]


def _peers(model: LbModel, pair: VipPair) -> PeersContext:
    addresses = {h.name: h.address for h in model.lb_hosts}
    port = model.settings.peers_port
    return PeersContext(
        peers_section_name(pair.name),
        [(host, f"{addresses[host]}:{port}") for host in pair.hosts],
    )


def _frontend(
    fe: Frontend, pair: VipPair, acme_challenge: list[str], refs: FileRefs
) -> FrontendContext:
    address = frontend_vip(fe, pair)
    bind = f"[{address}]:{fe.port}" if ":" in address else f"{address}:{fe.port}"  # IPv6 VIP
    bind += bind_tls(fe, refs)
    rules = frontend_rules(
        fe,
        peers_section_name(pair.name) if fe.rate_limit else None,
        lambda page: refs.path("error_page", page),
        lambda key: f"{refs.files_dir}/{key}",
    )
    lines: list[str] = list(rules.connection_lines)  # tcp-request first: HAProxy runs them first
    if fe.mode == "http":
        lines += log_format_lines(fe)
        if fe.forwarded_for:
            lines.append("option forwardfor")
        # Keep-alive clients see errors on a reload without it: wrk, 32 keep-alive
        # connections, 5 reloads in 10 s gave 7 read errors without, 0 with.
        lines.append("option idle-close-on-response")
        if fe.tls:
            lines.append("http-request set-header X-Forwarded-Proto https")
            lines += hsts_lines(fe)
        lines += acme_challenge  # before `extra`: its redirects must not catch the token
    else:
        lines += log_format_lines(fe)
    if fe.maxconn:
        lines.append(f"maxconn {fe.maxconn}")
    lines += frontend_log_lines(fe) + frontend_timeout_lines(fe) + compression_lines(fe)
    lines += error_page_lines(fe.error_pages, refs)
    acls, use_backends = routing(fe)
    return FrontendContext(
        name=fe.name,
        bind=bind + (" accept-proxy" if fe.accept_proxy else ""),
        mode=fe.mode,
        lines=lines,
        acls=rules.acls + acls,
        rule_lines=rules.lines,
        use_backends=rules.use_backends + use_backends,
        default_backend=fe.default_pool,
        extra=list(fe.extra),
        more_binds=frontend_binds(fe, bind_tls(fe, refs).strip()),
    )


T = TypeVar("T")


def _built(cache: dict[str, T], name: str, build: Callable[[], T]) -> T:
    if name not in cache:
        cache[name] = build()
    return cache[name]


def _backend(
    pool: Pool, users: list[Frontend], checks: dict[str, HealthCheck], refs: FileRefs
) -> BackendContext:
    mode = pool_mode(pool, users)
    check = checks.get(pool.health_check) if pool.health_check else None
    lines = _check_lines(check) + health_check_lines(check) + pool_timeout_lines(pool)
    if pool.sticky == "cookie":
        lines.append(f"cookie {pool.cookie_name} insert indirect nocache httponly")
    elif pool.sticky == "source":
        pair = users[0].vip_pair
        lines.append(f"stick-table type ip size 1m expire 30m peers {peers_section_name(pair)}")
        lines.append("stick on src")
    lines += error_page_lines(pool.error_pages, refs)
    default_server = default_server_line(pool, check)
    return BackendContext(
        name=pool.name,
        mode=mode,
        balance=pool.balance,
        lines=lines,
        default_server=default_server,
        servers=follow_dns(pool, _servers(pool, check is not None, refs)),
        server_templates=server_template_lines(
            pool, partial(_servers, checked=check is not None, refs=refs)
        ),
        extra=list(pool.extra),
    )


def _check_lines(check: HealthCheck | None) -> list[str]:
    if check is None or check.type == "tcp":
        return []
    send = f"http-check send meth {check.method} uri {check.path}"
    if check.host:
        send += f" ver HTTP/1.1 hdr Host {check.host}"
    return ["option httpchk", send, f"http-check expect status {check.expect_status}"]


def _servers(pool: Pool, checked: bool, refs: FileRefs) -> list[str]:
    """Return the pool's `server` lines after the keyword (50,000 at scale: kept lean)."""
    check = " check" if checked else ""
    tls = server_tls(pool, refs)
    cookie = pool.sticky == "cookie"
    lines = []
    for server in pool.servers:
        address = server.address
        host = f"[{address}]" if ":" in address else address
        state = server.state
        # HAProxy has no "drain" keyword: weight 0 is what the stats page reports as DRAIN.
        weight = 0 if state == "drain" else server.weight
        line = f"{server.name} {host}:{server.port}{check} weight {weight}"
        if server.backup:
            line += " backup"
        if state == "maint":
            line += " disabled"
        if server.maxconn:
            line += f" maxconn {server.maxconn}"
        if cookie:
            line += f" cookie {server.name}"
        if server.tls:
            line += tls
        lines.append(line + server_option_words(server, pool))
    return lines
