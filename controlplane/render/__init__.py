"""Model -> per-host render context -> files. The only package that calls Jinja.

`haproxy.py` and `keepalived.py` build typed contexts (what each template prints, decided
in plain Python); `jinja.py` prints them; this module puts a host's files together.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

from ..errors import ModelInvalid
from ..model import LbModel, pool_users
from ..model.config_files import FileContents
from .acme import challenge_map_files
from .attached import AttachedFile, attached_files, missing_contents
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
    """The files of one LB host: its configs by file name, and the files they name.

    `attached` is keyed by the path under `Rendered.files_dir` ("certs/site.pem"); it holds
    private keys, so print keys and metadata, never its texts.
    """

    host: str
    files: dict[str, str]
    attached: dict[str, AttachedFile] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    """Every LB host's files, and the model they were rendered from.

    `digest` is the model's hash when the caller knows it; otherwise `model_hash` computes
    it from `model` when first asked (0.2-0.5 s at 50,000 servers, which a plan never needs).
    """

    digest: str | None
    hosts: list[RenderedHost]
    files_dir: str = "/etc/haproxy/lbctl"  # where `attached` files live on an LB host
    model: LbModel | None = field(default=None, repr=False, compare=False)

    def host(self, name: str) -> RenderedHost:
        return next(h for h in self.hosts if h.host == name)

    @functools.cached_property
    def model_hash(self) -> str:
        """Return the sha256 of the model's canonical JSON: the identity of a rendering."""
        if self.digest is not None:
            return self.digest
        if self.model is None:
            raise ValueError("a rendering made without its model has no model hash")
        return model_hash(self.model)


def model_hash(model: LbModel) -> str:
    """Return the sha256 of the model's canonical JSON: the identity of a rendering."""
    # Field order is fixed by the schema, so pydantic's own JSON is canonical (and fast).
    return hashlib.sha256(model.model_dump_json().encode()).hexdigest()


def render_model(model: LbModel, contents: FileContents | None = None) -> Rendered:
    """Return the haproxy.cfg and keepalived.conf of every LB host, in model order.

    `contents` holds the declared files (certificates, maps, ...) the configs name; each
    host gets the ones its config names as `attached`. Raises ModelInvalid naming the model
    field of each file a config needs whose content is not given.
    """
    missing = missing_contents(model, contents)
    if missing:
        raise ModelInvalid(missing, "render")
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
            _host_attached(model, host.name, contents),
        )
        for host in model.lb_hosts
    ]
    return Rendered(None, hosts, model.settings.files_dir, model)


def _host_attached(
    model: LbModel, host: str, contents: FileContents | None
) -> dict[str, AttachedFile]:
    pairs = {p.name for p in host_pairs(model, host)}
    frontends = [fe for fe in model.frontends if fe.vip_pair in pairs]
    attached = attached_files(model, frontends, contents)
    for key, text in challenge_map_files(model, host).items():
        attached[key] = AttachedFile("map", key.removeprefix("maps/").removesuffix(".map"), text)
    return attached


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
    "AttachedFile",
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
