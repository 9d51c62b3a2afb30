"""Model -> per-host render context -> files. The only module that calls Jinja.

Every decision (which frontends a host serves, priorities, VRRP version, server
keywords) is made here, in plain Python that tests can reach; the templates only
loop and print.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, TypeVar

import jinja2

from .model import (
    Frontend,
    HealthCheck,
    LbModel,
    Pool,
    VipPair,
    duration_ms,
    frontend_vip,
    pool_mode,
    pool_users,
    vrrp_router_ids,
    vrrp_version,
)
from .paths import template_missing, templates_dir

HAPROXY_FILE = "haproxy.cfg"
KEEPALIVED_FILE = "keepalived.conf"
ADMIN_SOCKET = "/run/haproxy/admin.sock"
SERVER_STATE_FILE = "/var/lib/haproxy/server-state"
NOTIFY_SCRIPT = "/usr/local/libexec/lbctl/vrrp-notify"
# Where the notify hook records each VRRP instance's state ("STATE epoch priority").
VRRP_STATE_DIR = "/run/lbctl/vrrp"
# keepalived deletes this file once it has read its config: the proof a reload happened.
KEEPALIVED_RELOAD_FILE = "/run/lbctl/keepalived.reload"
# One file per VRRP instance: "1" drains the host (planned switchover), "0" is normal.
SWITCHOVER_FILE_PREFIX = "/run/lbctl/switchover."
MONITOR_URI = "/healthz"
CHECK_SCRIPT_NAME = "chk_haproxy"


@dataclass(frozen=True)
class RenderedHost:
    """The files of one LB host, by file name."""

    host: str
    files: dict[str, str]


@dataclass(frozen=True)
class Rendered:
    model_hash: str
    hosts: list[RenderedHost]

    def host(self, name: str) -> RenderedHost:
        return next(h for h in self.hosts if h.host == name)


# --- render context: exactly what the templates print ----------------------------------


@dataclass(frozen=True)
class BackendContext:
    name: str
    mode: str
    balance: str
    lines: list[str]
    default_server: str
    servers: list[str]  # "NAME ADDRESS:PORT PARAMS...", one `server` line each
    extra: list[str]


@dataclass(frozen=True)
class FrontendContext:
    name: str
    bind: str
    mode: str
    lines: list[str]
    acls: list[tuple[str, str]]
    use_backends: list[tuple[str, str]]
    default_backend: str | None
    extra: list[str]


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


def model_hash(model: LbModel) -> str:
    """Return the sha256 of the model's canonical JSON: the identity of a rendering."""
    # Field order is fixed by the schema, so pydantic's own JSON is canonical (and fast).
    return hashlib.sha256(model.model_dump_json().encode()).hexdigest()


def render_model(model: LbModel) -> Rendered:
    """Return the haproxy.cfg and keepalived.conf of every LB host, in model order."""
    digest = model_hash(model)
    users = pool_users(model)
    # Both hosts of a pair print the same frontends and pools: each is built once.
    frontends: dict[str, FrontendContext] = {}
    backends: dict[str, BackendContext] = {}
    hosts = [
        RenderedHost(
            host.name,
            {
                HAPROXY_FILE: _render(
                    "haproxy.cfg.j2",
                    haproxy_context(model, host.name, users, frontends, backends),
                ),
                KEEPALIVED_FILE: _render(
                    "keepalived.conf.j2", keepalived_context(model, host.name)
                ),
            },
        )
        for host in model.lb_hosts
    ]
    return Rendered(digest, hosts)


def host_pairs(model: LbModel, host: str) -> list[VipPair]:
    return [p for p in model.vip_pairs if host in p.hosts]


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
    pairs = {p.name: p for p in host_pairs(model, host)}
    frontends = [fe for fe in model.frontends if fe.vip_pair in pairs]
    served = {name for fe in frontends for name in _pools_of(fe)}
    pools = [p for p in model.pools if p.name in served]
    checks = {c.name: c for c in model.health_checks}
    peered = {fe.vip_pair for p in pools if p.sticky == "source" for fe in users.get(p.name, [])}
    s = model.settings
    return HaproxyContext(
        host=host,
        global_lines=_global_lines(model, host, bool(peered)),
        default_lines=_default_lines(model),
        peers=[_peers(model, pairs[name]) for name in pairs if name in peered],
        admin_address=s.admin_address,
        monitor_port=s.monitor_port,
        monitor_uri=MONITOR_URI,
        metrics_port=s.metrics_port,
        frontends=[
            _built(frontends_built, fe.name, partial(_frontend, fe, pairs[fe.vip_pair]))
            for fe in frontends
        ],
        backends=[
            _built(backends_built, p.name, partial(_backend, p, users.get(p.name, []), checks))
            for p in pools
        ],
    )


def peers_section_name(pair: str) -> str:
    # ':' cannot appear in model names, so this never clashes with a user's section.
    return f"lbctl:{pair}"


def _pools_of(fe: Frontend) -> list[str]:
    names = [fe.default_pool, *(r.pool for r in fe.routes)]
    return [n for n in dict.fromkeys(names) if n is not None]


def _global_lines(model: LbModel, host: str, peered: bool) -> list[str]:
    s = model.settings
    lines = [
        f"log {s.log_target} local0",
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
        "ssl-default-bind-ciphers " + _TLS12_CIPHERS,
        "ssl-default-bind-ciphersuites " + _TLS13_SUITES,
        "ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
        "ssl-default-server-options ssl-min-ver TLSv1.2",
        *s.extra,
    ]
    return lines


_TLS12_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)
_TLS13_SUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"


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


def _frontend(fe: Frontend, pair: VipPair) -> FrontendContext:
    bind = f"{frontend_vip(fe, pair)}:{fe.port}"
    if fe.tls:
        bind += f" ssl crt {fe.tls.certificate}"
        if fe.tls.alpn:
            bind += f" alpn {','.join(fe.tls.alpn)}"
    lines: list[str] = []
    if fe.mode == "http":
        lines.append("option httplog")
        if fe.forwarded_for:
            lines.append("option forwardfor")
        # Keep-alive clients see errors on a reload without it: wrk, 32 keep-alive
        # connections, 5 reloads in 10 s gave 7 read errors without, 0 with.
        lines.append("option idle-close-on-response")
        if fe.tls:
            lines.append("http-request set-header X-Forwarded-Proto https")
    else:
        lines.append("option tcplog")
    if fe.maxconn:
        lines.append(f"maxconn {fe.maxconn}")
    acls, use_backends = _routing(fe)
    return FrontendContext(
        name=fe.name,
        bind=bind,
        mode=fe.mode,
        lines=lines,
        acls=acls,
        use_backends=use_backends,
        default_backend=fe.default_pool,
        extra=list(fe.extra),
    )


def _routing(fe: Frontend) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return ACL lines and use_backend rules; first matching route wins, as in the model."""
    acls: list[tuple[str, str]] = []
    rules: list[tuple[str, str]] = []
    for i, route in enumerate(fe.routes):
        conditions = []
        if route.host is not None:
            name = f"route{i}_host"
            host_field = "req.hdr(host),field(1,:),lower"
            if route.host.startswith("*."):
                acls.append((name, f"{host_field} -m end {route.host[1:]}"))
            else:
                acls.append((name, f"{host_field} -m str {route.host}"))
            conditions.append(name)
        if route.path_prefix is not None:
            name = f"route{i}_path"
            prefix = route.path_prefix
            if prefix.endswith("/"):
                acls.append((name, f"path_beg {prefix}"))
            else:
                # '/v1' matches '/v1' and '/v1/...', never '/v1beta'.
                acls.append((name, f"path {prefix}"))
                acls.append((name, f"path_beg {prefix}/"))
            conditions.append(name)
        rules.append((route.pool, " ".join(conditions)))
    return acls, rules


T = TypeVar("T")


def _built(cache: dict[str, T], name: str, build: Callable[[], T]) -> T:
    if name not in cache:
        cache[name] = build()
    return cache[name]


def _backend(pool: Pool, users: list[Frontend], checks: dict[str, HealthCheck]) -> BackendContext:
    mode = pool_mode(pool, users)
    check = checks.get(pool.health_check) if pool.health_check else None
    lines = _check_lines(check)
    if pool.sticky == "cookie":
        lines.append(f"cookie {pool.cookie_name} insert indirect nocache httponly")
    elif pool.sticky == "source":
        pair = users[0].vip_pair
        lines.append(f"stick-table type ip size 1m expire 30m peers {peers_section_name(pair)}")
        lines.append("stick on src")
    default_server = ""
    if check:
        default_server = f"inter {check.interval} rise {check.rise} fall {check.fall}"
        if check.port:
            default_server += f" port {check.port}"
    return BackendContext(
        name=pool.name,
        mode=mode,
        balance=pool.balance,
        lines=lines,
        default_server=default_server,
        servers=_servers(pool, check is not None),
        extra=list(pool.extra),
    )


def _check_lines(check: HealthCheck | None) -> list[str]:
    if check is None or check.type == "tcp":
        return []
    send = f"http-check send meth {check.method} uri {check.path}"
    if check.host:
        send += f" ver HTTP/1.1 hdr Host {check.host}"
    return ["option httpchk", send, f"http-check expect status {check.expect_status}"]


def _servers(pool: Pool, checked: bool) -> list[str]:
    """Return the pool's `server` lines after the keyword (50,000 at scale: kept lean)."""
    check = " check" if checked else ""
    tls = f" ssl verify {pool.tls_verify}"
    if pool.tls_verify == "required":
        tls += f" ca-file {pool.tls_ca_file}"
    cookie = pool.sticky == "cookie"
    lines = []
    for server in pool.servers:
        address = server.address
        host = f"[{address}]" if ":" in address else address
        # HAProxy has no "drain" keyword: weight 0 is what the stats page reports as DRAIN.
        weight = 0 if server.state == "drain" else server.weight
        line = f"{server.name} {host}:{server.port}{check} weight {weight}"
        if server.backup:
            line += " backup"
        if server.state == "maint":
            line += " disabled"
        if server.maxconn:
            line += f" maxconn {server.maxconn}"
        if cookie:
            line += f" cookie {server.name}"
        if server.tls:
            line += tls
        lines.append(line)
    return lines


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


def _single_line(value: Any) -> Any:
    """Return a printed value after checking it holds no line break (Jinja's `finalize`).

    Defence in depth: the model already forbids them, but no value may ever add a line.
    Every `{{ ... }}` of every template passes through here.
    """
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        raise ValueError(f"refusing to render a value containing a line break: {value!r}")
    return value


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_single_line,
    )


def _render(template: str, ctx: Any) -> str:
    try:
        loaded = _environment().get_template(template)
    except jinja2.TemplateNotFound as exc:
        # Jinja's own text is the bare template name: say where it was looked for.
        raise template_missing(str(exc.name or template)) from exc
    return loaded.render(ctx=ctx)
