"""`server-template` lines -> a pool's server_templates: server slots HAProxy fills from DNS.

`server-template PREFIX COUNT NAME[:PORT] OPTION...` reserves COUNT servers, PREFIX1 to
PREFIXCOUNT, whose addresses the pool's resolver finds: the SRV records of a name that
starts with '_' (they carry the ports), or the A/AAAA records of a host name (the line gives
the port). Its options are a server's and are read as a server's: `check`, `weight`, `ssl`,
`verify`, `ca-file`, `resolvers`, `resolve-prefer`, `init-addr`; any other is reported as
dropped, as on a server. A line the model has no words for -- a slot range that does not
start at 1 (`web 3-5`), an IP address or a host name without a port for a target, a pool
with no resolver (HAProxy then resolves the name once, at start) -- stays verbatim in the
pool's `extra`, reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..model.resolvers import MAX_TEMPLATE_SLOTS, DiscoveryName, is_srv_name
from .haproxy_reader import Line

# `_server(line, words, ctx, pool)` of haproxy_mapping: (server, has_check, dropped words).
ReadServer = Callable[[Line, list[str], Any, dict[str, Any]], tuple[Any, bool, list[str]]]

_COUNT = re.compile(r"(?:1-)?([1-9][0-9]{0,5})")
_DNS_NAME: TypeAdapter[str] = TypeAdapter(DiscoveryName)
# Server fields a template holds; any other a server line would set has no template field.
_TEMPLATE_FIELDS = frozenset({"name", "address", "port", "weight", "tls"})
# HAProxy's preference when a server that follows DNS names none.
HAPROXY_RESOLVE_PREFER = "ipv6"


def map_templates(
    lines: list[Line], ctx: Any, pool: dict[str, Any], read_server: ReadServer
) -> tuple[list[bool], list[Line]]:
    """Put the pool's `server-template` lines in `pool["server_templates"]`.

    Return whether each template is checked, and the lines that stay verbatim (the caller
    keeps them as extra). A pool that follows DNS and names no preference gets HAProxy's
    own (IPv6).
    """
    read = [(line, *_template(line, ctx, pool, read_server)) for line in lines]
    if pool.get("resolvers") is not None and "resolve_prefer" not in pool:
        pool["resolve_prefer"] = HAPROXY_RESOLVE_PREFER
    if pool.get("resolvers") is None:
        # Slots are filled by the pool's resolver only: without one, nothing to model.
        return [], lines
    verbatim = [line for line, template, _, _ in read if template is None]
    found = [(line, t, c, d) for line, t, c, d in read if t is not None]
    for line, _, _, dropped in found:
        for word in dropped:
            ctx.report.add("dropped", line.where, line.raw, f"server-template option {word!r}")
        if not dropped:
            ctx.report.native()
    if found:
        pool["server_templates"] = [t for _, t, _, _ in found]
    return [c for _, _, c, _ in found], verbatim


def _template(
    line: Line, ctx: Any, pool: dict[str, Any], read_server: ReadServer
) -> tuple[dict[str, Any] | None, bool, list[str]]:
    w = line.words
    if len(w) < 4:
        return None, False, []
    count = _COUNT.fullmatch(w[2])
    target = _target(w[3])
    if count is None or int(count[1]) > MAX_TEMPLATE_SLOTS or target is None:
        return None, False, []
    dns_name, port = target
    # Read as a server of the pool (its options), on a stand-in address.
    stand_in = [w[0], w[1], f"192.0.2.1:{port or 1}", *w[4:]]
    server, has_check, dropped = read_server(line, stand_in, ctx, pool)
    if server is None:
        return None, False, []
    template: dict[str, Any] = {
        "name": ctx.names.name(f"server_template:{pool['name']}", w[1], line.where),
        "count": int(count[1]),
        "dns_name": dns_name,
        "weight": server["weight"],
    }
    if port is not None:
        template["port"] = port
    if server.get("tls"):
        template["tls"] = True
    dropped += [k.lstrip("_") for k in server if k not in _TEMPLATE_FIELDS]
    return template, has_check, dropped


def _target(text: str) -> tuple[str, int | None] | None:
    """`_web._tcp.service.consul` or `api.service.consul:8443`; None for anything else."""
    host, colon, port = text.rpartition(":")
    if not colon:
        host, port = text, ""
    elif not port.isdigit() or not 1 <= int(port) <= 65535:
        return None
    try:
        name = _DNS_NAME.validate_python(host)
    except ValidationError:
        return None  # an IP address, or a name the model refuses
    if is_srv_name(name) == bool(port):
        return None  # an SRV name's records carry the port; a host name needs one
    return name, int(port) if port else None
