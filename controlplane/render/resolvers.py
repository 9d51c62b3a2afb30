"""Service discovery in haproxy.cfg: `resolvers` sections, servers that follow DNS, templates.

A pool that names a resolver gets, on each server given by DNS name,
`resolvers NAME resolve-prefer FAMILY init-addr last,libc,none`: HAProxy asks that
resolver again every `timeout resolve` and moves the server when the answer changes, with
no reload. `init-addr last,libc,none` starts from the address the server-state file kept
across a reload, else the system resolver, else no address (the server waits in
maintenance for the first DNS answer), so a name that does not resolve at start does not
stop HAProxy. Server templates start with `init-addr last,none`: their slots are only ever
filled by the resolver (an SRV answer or a name's A records), never by the system's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import LbModel, Pool, Server
from ..model.resolvers import Resolver, is_dns_name, is_srv_name

SERVER_INIT_ADDR = "last,libc,none"
TEMPLATE_INIT_ADDR = "last,none"


@dataclass(frozen=True)
class ResolversContext:
    name: str
    lines: list[str]


def resolvers_sections(model: LbModel, pools: list[Pool]) -> list[ResolversContext]:
    """Return the `resolvers` sections the host's `pools` use, in model order."""
    used = {p.resolvers for p in pools if p.resolvers is not None}
    return [ResolversContext(r.name, resolver_lines(r)) for r in model.resolvers if r.name in used]


def resolver_lines(resolver: Resolver) -> list[str]:
    """Return the body of one `resolvers` section; every setting printed, so it reads whole."""
    lines = []
    for i, ns in enumerate(resolver.nameservers, start=1):
        host = f"[{ns.address}]" if ":" in ns.address else ns.address
        lines.append(f"nameserver ns{i} {host}:{ns.port}")
    if resolver.parse_resolv_conf:
        lines.append("parse-resolv-conf")
    t, h = resolver.timeouts, resolver.hold
    return [
        *lines,
        f"accepted_payload_size {resolver.accepted_payload_size}",
        f"resolve_retries {resolver.resolve_retries}",
        f"timeout resolve {t.resolve}",
        f"timeout retry {t.retry}",
        f"hold valid {h.valid}",
        f"hold nx {h.nx}",
        f"hold other {h.other}",
        f"hold refused {h.refused}",
        f"hold timeout {h.timeout}",
        *([f"hold obsolete {h.obsolete}"] if h.obsolete else []),
    ]


def _resolve_options(pool: Pool, init_addr: str) -> str:
    return f" resolvers {pool.resolvers} resolve-prefer {pool.resolve_prefer} init-addr {init_addr}"


def follow_dns(pool: Pool, server_lines: list[str]) -> list[str]:
    """Return a pool's `server` lines (one per `pool.servers`, in order), the DNS-named ones
    made to follow their name when the pool has resolvers."""
    if pool.resolvers is None:
        return server_lines
    options = _resolve_options(pool, SERVER_INIT_ADDR)
    return [
        line + options if is_dns_name(server.address) else line
        for server, line in zip(pool.servers, server_lines, strict=True)
    ]


def server_template_lines(pool: Pool, server_lines: Callable[[Pool], list[str]]) -> list[str]:
    """Return the pool's `server-template` lines after the keyword.

    Each slot takes the options a plain server of the pool would get (health check, TLS
    towards the pool, ...): `server_lines` renders a stand-in server with the template's
    weight and tls, and its name and address are replaced by the template's.
    """
    if not pool.server_templates:
        return []
    options = _resolve_options(pool, TEMPLATE_INIT_ADDR)
    lines = []
    for template in pool.server_templates:
        stand_in = Server.model_construct(
            name=template.name,
            address="192.0.2.1",  # replaced below; any address renders the same options
            port=template.port or 1,
            weight=template.weight,
            tls=template.tls,
        )
        [line] = server_lines(pool.model_copy(update={"servers": [stand_in]}))
        after_address = line.split(" ", 2)[2] if line.count(" ") >= 2 else ""
        target = (
            template.dns_name
            if is_srv_name(template.dns_name)
            else f"{template.dns_name}:{template.port}"
        )
        head = f"{template.name} {template.count} {target}"
        lines.append(f"{head} {after_address}{options}" if after_address else head + options)
    return lines
