"""Model -> per-host render context -> files. The only package that calls Jinja.

`haproxy.py` and `keepalived.py` build typed contexts (what each template prints, decided
in plain Python); `jinja.py` prints them; this module puts a host's files together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..model import LbModel, pool_users
from .haproxy import (
    BackendContext,
    FrontendContext,
    HaproxyContext,
    PeersContext,
    haproxy_context,
    host_pairs,
    peers_section_name,
)
from .host_paths import (
    ADMIN_SOCKET,
    CHECK_SCRIPT_NAME,
    KEEPALIVED_RELOAD_FILE,
    MONITOR_URI,
    NOTIFY_SCRIPT,
    SERVER_STATE_FILE,
    SWITCHOVER_FILE_PREFIX,
    VRRP_STATE_DIR,
)
from .jinja import render_template
from .keepalived import (
    KeepalivedContext,
    VrrpInstanceContext,
    keepalived_context,
    monitor_url,
    switchover_file,
    switchover_weight,
)

HAPROXY_FILE = "haproxy.cfg"
KEEPALIVED_FILE = "keepalived.conf"


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
                HAPROXY_FILE: render_template(
                    "haproxy.cfg.j2",
                    haproxy_context(model, host.name, users, frontends, backends),
                ),
                KEEPALIVED_FILE: render_template(
                    "keepalived.conf.j2", keepalived_context(model, host.name)
                ),
            },
        )
        for host in model.lb_hosts
    ]
    return Rendered(digest, hosts)


__all__ = [
    "ADMIN_SOCKET",
    "CHECK_SCRIPT_NAME",
    "HAPROXY_FILE",
    "KEEPALIVED_FILE",
    "KEEPALIVED_RELOAD_FILE",
    "MONITOR_URI",
    "NOTIFY_SCRIPT",
    "SERVER_STATE_FILE",
    "SWITCHOVER_FILE_PREFIX",
    "VRRP_STATE_DIR",
    "BackendContext",
    "FrontendContext",
    "HaproxyContext",
    "KeepalivedContext",
    "PeersContext",
    "Rendered",
    "RenderedHost",
    "VrrpInstanceContext",
    "haproxy_context",
    "host_pairs",
    "keepalived_context",
    "model_hash",
    "monitor_url",
    "peers_section_name",
    "render_model",
    "switchover_file",
    "switchover_weight",
]
