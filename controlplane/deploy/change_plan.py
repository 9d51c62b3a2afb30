"""The deploy plan: each change of a host's files, and whether the runtime API can apply it.

A change that only touches server weight or state lines (same backend, server, address,
port and every other option) is applied through HAProxy's runtime API with no reload; any
other haproxy.cfg change needs a reload; a keepalived.conf change a keepalived reload.
An attached file (certificate, CA file, CRL file, map) whose content changed under the
same name is replaced through the runtime API too when haproxy.cfg needs no reload
(attached.py); a new, removed or other file goes with a reload.
A server address a DNS resolver changes is never in the files, so it is never planned:
HAProxy follows the name at runtime by itself. A `resolvers` section, a pool starting to
follow DNS, server templates and binds change haproxy.cfg and go with a reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..render import HAPROXY_FILE, KEEPALIVED_FILE
from ..render.proxies import proxy_line_part
from ..render.sections import NotSplittable, text_blocks
from ..rendered_config import Section, Server, read_haproxy_cfg
from ..runtime import ServerChange
from ..runtime.haproxy import RuntimeState
from .attached import attached_changes
from .keepalived_plan import keepalived_changes

ChangePath = Literal["runtime", "reload", "keepalived reload"]
# A host's files: name -> text; a name mapped to None, or missing, is a file the host lacks.
HostFiles = Mapping[str, str | None]
PREAMBLE = "(top of file)"


@dataclass(frozen=True)
class PlannedChange:
    host: str
    file: str
    what: str  # in the operator's words: "server app/app2: weight 50 -> 0 (drain)"
    path: ChangePath

    def as_dict(self) -> dict[str, str]:
        return {"host": self.host, "file": self.file, "what": self.what, "path": self.path}


@dataclass(frozen=True)
class HostPlan:
    host: str
    changes: list[PlannedChange] = field(default_factory=list)
    runtime: list[ServerChange] = field(default_factory=list)  # when haproxy_path is runtime

    @property
    def haproxy_path(self) -> Literal["none", "runtime", "reload"]:
        # haproxy.cfg and the attached files (keyed by their path under files_dir) are
        # HAProxy's: they go together, by the runtime API or by one reload.
        paths = {c.path for c in self.changes if c.file != KEEPALIVED_FILE}
        if not paths:
            return "none"
        return "runtime" if paths == {"runtime"} else "reload"


def plan_host(
    host: str,
    old: HostFiles,
    new: HostFiles,
    old_attached: Mapping[str, str] | None = None,
    new_attached: Mapping[str, str] | None = None,
) -> HostPlan:
    """Return the plan of replacing a host's files `old` with `new`; a file `new` lacks stays.

    `old_attached` (key under files_dir -> digest of the content) and `new_attached` (key ->
    text) add the attached files' changes; None for `new_attached` leaves them out (the
    caller does not know them).
    """
    changes: list[PlannedChange] = []
    runtime: list[ServerChange] = []
    old_cfg, new_cfg = old.get(HAPROXY_FILE), new.get(HAPROXY_FILE)
    if new_cfg is not None and old_cfg != new_cfg:
        if old_cfg is None:
            changes.append(PlannedChange(host, HAPROXY_FILE, "new file (start)", "reload"))
        else:
            for what, change in _haproxy_changes(old_cfg, new_cfg):
                path: ChangePath = "runtime" if change else "reload"
                changes.append(PlannedChange(host, HAPROXY_FILE, what, path))
                if change:
                    runtime.append(change)
    new_conf, old_conf = new.get(KEEPALIVED_FILE), old.get(KEEPALIVED_FILE)
    if new_conf is not None and old_conf != new_conf:
        # Every change is one keepalived reload; the lines say what it changes.
        whats = ["new file (start)"] if old_conf is None else keepalived_changes(old_conf, new_conf)
        changes += [
            PlannedChange(host, KEEPALIVED_FILE, what, "keepalived reload")
            for what in whats or ["changed"]
        ]
    if new_attached is not None:
        reloads = any(c.path == "reload" for c in changes if c.file == HAPROXY_FILE)
        for key, what, by_runtime in attached_changes(old_attached or {}, new_attached, reloads):
            changes.append(PlannedChange(host, key, what, "runtime" if by_runtime else "reload"))
    if any(c.path == "reload" for c in changes if c.file != KEEPALIVED_FILE):
        runtime = []
    return HostPlan(host, changes, runtime)


def plan_hosts(
    old: Mapping[str, HostFiles],
    new: Mapping[str, HostFiles],
    old_attached: Mapping[str, Mapping[str, str]] | None = None,
    new_attached: Mapping[str, Mapping[str, str]] | None = None,
) -> list[HostPlan]:
    """Return the plan of every host of `new` (host -> file -> text).

    With `new_attached` (host -> key -> text; `old_attached` host -> key -> digest, see
    attached.py) the attached files' changes are planned too.
    """
    return [
        plan_host(
            host,
            old.get(host, {}),
            files,
            (old_attached or {}).get(host, {}),
            None if new_attached is None else new_attached.get(host, {}),
        )
        for host, files in new.items()
    ]


def _haproxy_changes(old_cfg: str, new_cfg: str) -> list[tuple[str, ServerChange | None]]:
    old, new = _changed_sections(old_cfg, new_cfg)
    found: list[tuple[str, ServerChange | None]] = []
    for header in [h for h in old if h not in new]:
        found.append((f"remove {header}", None))
    for header, section in new.items():
        if header not in old:
            found.append((f"add {header}", None))
        elif old[header].lines != section.lines:
            if section.kind == "backend":
                found += _backend_changes(section.name, old[header], section)
            elif section.kind == "frontend":
                found.append((frontend_change(header, old[header].lines, section.lines), None))
            else:
                found.append((f"{header}: changed", None))
    return found


def frontend_change(header: str, old: tuple[str, ...], new: tuple[str, ...]) -> str:
    """Return what changed in a frontend, e.g. 'frontend web: rules changed'.

    Rules and rate limits are inline ACLs and actions, which HAProxy 2.6 reads only when it
    loads the configuration: every such change is a reload. An access list's *entries* live
    in a map file (render/routing.py), whose content changes through the runtime API: that
    is an attached file's change, planned in attached.py; here only adding or removing a
    list shows.
    """
    changed = set(old) ^ set(new)
    if not changed:
        return f"{header}: rule order changed"
    parts = dict.fromkeys(_frontend_part(line) for line in sorted(changed))
    return f"{header}: {', '.join(parts)} changed"


_RULE_LINES = (
    "acl ",
    "http-request ",
    "http-response ",
    "http-after-response ",
    "tcp-request ",
    "use_backend ",
)


def _frontend_part(line: str) -> str:
    """Return which part of the model a frontend line comes from (render/routing.py)."""
    if line.startswith(("stick-table", "tcp-request connection track-sc")) or "lbctl_rate_" in line:
        return "rate limit"
    if "lbctl_access_" in line:
        return "access list"
    if line.startswith(_RULE_LINES):
        return "rules"
    return proxy_line_part(line) or "settings"


def _backend_changes(
    backend: str, old: Section, new: Section
) -> list[tuple[str, ServerChange | None]]:
    old_servers = {s.name: s for s in old.servers}
    new_servers = {s.name: s for s in new.servers}
    found: list[tuple[str, ServerChange | None]] = []
    if old.settings != new.settings:
        changed = sorted(set(old.settings) ^ set(new.settings))
        parts = dict.fromkeys(proxy_line_part(line) or "settings" for line in changed)
        found.append((f"backend {backend}: {', '.join(parts) or 'settings'} changed", None))
    for name, server in new_servers.items():
        before = old_servers.get(name)
        label = f"server {backend}/{name}"
        if before is None:
            found.append((f"add {label}", None))  # `add server` is not used: see docs/deploy.md
        elif _fixed(before) != _fixed(server):
            found.append((f"{label}: address, port or options changed", None))
        elif (before.weight, before.disabled) != (server.weight, server.disabled):
            change = ServerChange(backend, name, _runtime_state(server), server.weight)
            found.append((f"{label}: {_describe(before, server)}", change))
    found += [(f"remove server {backend}/{n}", None) for n in old_servers if n not in new_servers]
    if [n for n in old_servers if n in new_servers] != [n for n in new_servers if n in old_servers]:
        found.append((f"backend {backend}: server order changed", None))
    return found


def _fixed(server: Server) -> tuple[str, tuple[str, ...]]:
    """Return what only a reload changes: all of the line but its weight and `disabled`."""
    return server.address, server.options


def _runtime_state(server: Server) -> RuntimeState:
    return "maint" if server.disabled else ("drain" if server.weight == 0 else "ready")


def _describe(before: Server, after: Server) -> str:
    parts = []
    if before.weight != after.weight:
        parts.append(f"weight {before.weight} -> {after.weight}")
    if _runtime_state(before) != _runtime_state(after):
        parts.append(f"state {_runtime_state(before)} -> {_runtime_state(after)}")
    return ", ".join(parts)


def _sections(cfg: str) -> dict[str, Section]:
    """Return section header -> section; lines before the first header are PREAMBLE's."""
    return {s.header or PREAMBLE: s for s in read_haproxy_cfg(cfg).sections}


def _changed_sections(old_cfg: str, new_cfg: str) -> tuple[dict[str, Section], dict[str, Section]]:
    """Return the sections of both files, leaving out the frontend and backend blocks
    (render/sections.py) whose text is the same in both: they plan no change.

    Reading a 100,000-line file took 0.5 s; a plan of a one-server change reads the
    blocks that differ and the prefixes when they differ. A file lbctl did not render
    the way it does is read whole.
    """
    try:
        old_blocks, new_blocks = text_blocks(old_cfg), text_blocks(new_cfg)
    except NotSplittable:
        return _sections(old_cfg), _sections(new_cfg)
    old_prefix, new_prefix = old_cfg[: old_blocks.prefix_end], new_cfg[: new_blocks.prefix_end]
    same_prefix = old_prefix == new_prefix
    old = {} if same_prefix else _sections(old_prefix)
    new = {} if same_prefix else _sections(new_prefix)
    for header, (start, end) in old_blocks.spans.items():
        span = new_blocks.spans.get(header)
        if span is None or new_cfg[span[0] : span[1]] != old_cfg[start:end]:
            old |= _sections(old_cfg[start:end])
    for header, (start, end) in new_blocks.spans.items():
        span = old_blocks.spans.get(header)
        if span is None or old_cfg[span[0] : span[1]] != new_cfg[start:end]:
            new |= _sections(new_cfg[start:end])
    return old, new
