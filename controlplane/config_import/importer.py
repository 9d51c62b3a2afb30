"""Put the hosts together: read each host's configs, pair the VRRP instances, map their
haproxy.cfg as one (the preferred master's, with the sections only other hosts run: see
`host_configs`), report where a host's own differs from its share, and return the model's
data with the declared files' contents and the report.

Files a config names are read only through a host's `FileSource`: the folder
`DIR/<host>/files` (a mirror of the host's filesystem) or the files an upload carried --
never the control plane's own filesystem, so a config naming /etc/shadow reads nothing.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..model.config_files import MAX_FILE_BYTES
from .haproxy_mapping import (
    Context,
    Defaults,
    Proxy,
    map_frontend,
    map_global,
    map_http_errors,
    map_pool,
    map_resolvers,
    map_userlist,
    read_defaults,
    settings_timeouts,
    split_listen,
    stats_page,
)
from .haproxy_reader import Section, host_path, read_haproxy
from .host_configs import frontend_hosts, report_differences, share, union
from .keepalived_mapping import (
    Instance,
    Script,
    pair_instances,
    read_host,
    untrack_own_interfaces,
)
from .keepalived_reader import read_keepalived
from .legacy import modernize
from .names import Names
from .report import ImportRefused, Report, Where
from .vrrp_options import global_settings
from .vrrp_pairs import interface_differences

HAPROXY_FILE = "haproxy.cfg"
KEEPALIVED_FILE = "keepalived.conf"
# Sections lbctl renders for itself: importing its own configs back skips them.
_LBCTL_FRONTENDS = frozenset({"lbctl:monitor", "lbctl:metrics"})


class FileSource(Protocol):
    def read(self, path: str) -> bytes | None:
        """Return the content of the host's file at absolute `path`, or None."""


class DirFiles:
    """A host's files mirrored under DIR/<host>/files; nothing outside it is ever read."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, path: str) -> bytes | None:
        relative = posixpath.normpath("/" + path).lstrip("/")
        if not relative or relative.startswith(".."):
            return None
        found = _read_under(self.root, relative)
        own = relative.removeprefix(_LBCTL_FILES)
        if found is None and own != relative and own.split("/")[0] in _ATTACHED_FOLDERS:
            # `lbctl render --out` writes the files it ships beside the configs
            # (DIR/<host>/maps/...), not under files/: its own output imports back.
            found = _read_under(self.root.parent, own)
        return found


_LBCTL_FILES = "etc/haproxy/lbctl/"  # lbctl's default files_dir on a host
_ATTACHED_FOLDERS = frozenset({"certs", "ca", "crl", "maps", "errors"})


def _read_under(base: Path, relative: str) -> bytes | None:
    """The file at `relative` under `base`, if it is one and stays inside `base`."""
    candidate = base / relative
    try:
        real = candidate.resolve(strict=True)
        root = base.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    # A symlink in the mirror must not lead out of it (to the control plane's files).
    if not real.is_relative_to(root) or not real.is_file():
        return None
    if real.stat().st_size > MAX_FILE_BYTES:
        return None
    return real.read_bytes()


@dataclass
class MemoryFiles:
    """Files carried by an upload, by their absolute path on the host."""

    files: Mapping[str, bytes] = field(default_factory=dict)

    def read(self, path: str) -> bytes | None:
        wanted = host_path(path)
        return next((v for k, v in self.files.items() if host_path(k) == wanted), None)


@dataclass
class HostInput:
    name: str
    haproxy: bytes
    keepalived: bytes | None
    files: FileSource
    address: str | None = None  # from the inventory or --host
    interface: str | None = None


@dataclass
class Imported:
    model: dict[str, Any]
    report: Report
    files: dict[str, bytes]  # path relative to the model file -> content


def read_dir(directory: Path | str) -> list[HostInput]:
    """Return the hosts of DIR (one folder per host, as `lbctl render --out` writes)."""
    root = Path(directory)
    hosts = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        cfg = folder / HAPROXY_FILE
        if not cfg.is_file():
            continue
        ka = folder / KEEPALIVED_FILE
        hosts.append(
            HostInput(
                folder.name,
                _read_limited(cfg, f"{folder.name}/{HAPROXY_FILE}"),
                _read_limited(ka, f"{folder.name}/{KEEPALIVED_FILE}") if ka.is_file() else None,
                DirFiles(folder / "files"),
            )
        )
    if not hosts:
        raise ImportRefused(f"{root}: no <host>/{HAPROXY_FILE} in it")
    return hosts


def _read_limited(path: Path, label: str) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImportRefused(f"{label}: {size} bytes is more than a config can be (16 MiB)")
    return path.read_bytes()


def import_hosts(hosts: list[HostInput]) -> Imported:
    """Return the model's data, the declared files and the report for these hosts."""
    report = Report()
    names = Names(report)
    for host in hosts:
        names.name("lb_host", host.name)
    parsed = {h.name: read_haproxy(h.haproxy, f"{h.name}/{HAPROXY_FILE}") for h in hosts}
    vrrp: dict[str, tuple[list[Instance], dict[str, Script]]] = {}
    for h in hosts:
        if h.keepalived is None:
            continue
        source = f"{h.name}/{KEEPALIVED_FILE}"
        nodes = read_keepalived(h.keepalived, source, report, _includes(h))
        vrrp[h.name] = read_host(h.name, nodes, report)
    pairs = pair_instances(vrrp, names, report)
    if not pairs:
        raise ImportRefused(
            "no VRRP pair found: give both hosts' keepalived.conf with one vrrp_instance each "
            "(same virtual_router_id and VIPs); frontends listen on a pair's VIPs"
        )
    lb_hosts = _lb_hosts(hosts, vrrp)
    interface_differences(lb_hosts, {h: found for h, (found, _) in vrrp.items()}, report)
    main = pairs[0]["hosts"][0]
    files: dict[str, bytes] = {}
    by_name = {h.name: h for h in hosts}

    def read_file(path: str, where: Where) -> bytes | None:
        content = by_name[main].files.read(path)
        if content is not None:
            files["files" + host_path(path)] = content
        return content

    ctx = Context(report, names, pairs, read_file)
    merged = union(parsed[main], [parsed[h.name] for h in hosts if h.name != main])
    model = _map(merged, ctx)
    keepalived = global_settings(vrrp.get(main, ([], {}))[0], report)
    if keepalived:
        model["settings"]["keepalived"] = keepalived
    untrack_own_interfaces(pairs, lb_hosts, report)
    model["lb_hosts"] = lb_hosts
    model["vip_pairs"] = pairs
    hosts_of = frontend_hosts(model, names, set(parsed))
    report_differences(parsed, {h: share(merged, h, hosts_of) for h in parsed}, report)
    for section, entries in ctx.declared.items():
        model[section] = entries
    order = ["settings", "lb_hosts", "vip_pairs", "health_checks", "pools", "frontends"]
    ordered = {k: model[k] for k in order if model.get(k)}
    ordered.update({k: v for k, v in model.items() if k not in ordered and v})
    return Imported(ordered, report, files)


def _includes(host: HostInput) -> Any:
    def include(pattern: str) -> list[tuple[str, bytes]]:
        if any(c in pattern for c in "*?["):
            return []  # a glob needs a listing of the host's folder: not collected
        content = host.files.read(pattern)
        return [(f"{host.name}/files{pattern}", content)] if content is not None else []

    return include


def _lb_hosts(
    hosts: list[HostInput], vrrp: dict[str, tuple[list[Instance], dict[str, Script]]]
) -> list[dict[str, str]]:
    peers_of: dict[str, list[str]] = {}
    for name, (instances, _) in vrrp.items():
        for inst in instances:
            peers_of.setdefault(name, []).extend(inst.peers)
    out = []
    for h in hosts:
        instances = vrrp.get(h.name, ([], {}))[0]
        address = h.address or next((i.src_ip for i in instances if i.src_ip), None)
        if address is None:
            # The other host's only unicast peer is this one.
            others = [p for n, ps in peers_of.items() if n != h.name for p in ps]
            if len(set(others)) == 1:
                address = others[0]
        interface = h.interface or next((i.interface for i in instances if i.interface), None)
        if address is None or interface is None:
            raise ImportRefused(
                f"host {h.name}: no {'address' if address is None else 'interface'} in its "
                f"keepalived.conf (unicast_src_ip, interface): give --host "
                f"{h.name}=ADDRESS@INTERFACE or an inventory"
            )
        out.append({"name": h.name, "address": address, "interface": interface})
    return out


def _map(sections: list[Section], ctx: Context) -> dict[str, Any]:
    sections = [modernize(s, ctx.report) for s in sections]
    settings: dict[str, Any] = {"extra": []}
    model: dict[str, Any] = {
        "health_checks": [],
        "pools": [],
        "frontends": [],
        "resolvers": [],
        "userlists": [],
        "stats_pages": [],
    }
    checks: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    ctx.caches = {s.name for s in sections if s.keyword == "cache"}
    for s in sections:
        if s.keyword == "global":
            map_global(s, ctx, settings)
        elif s.keyword == "http-errors":
            errors[s.name] = map_http_errors(s, ctx)
    latest = Defaults()
    named: dict[str, Defaults] = {}  # a proxy takes the latest defaults, or the one it names
    first_defaults = True
    settings["timeouts"] = settings_timeouts(latest)
    settings.setdefault("maxconn", 20000)
    for s in sections:
        defaults = named.get(s.args[1], latest) if s.args[:1] == ["from"] else latest
        if s.keyword == "defaults":
            latest = read_defaults(s, ctx)
            defaults = latest
            if s.name:
                named[s.name] = latest
            if first_defaults:
                settings["timeouts"] = settings_timeouts(defaults)
                if defaults.retries is not None:
                    settings["retries"] = defaults.retries
                first_defaults = False
        elif s.keyword in ("frontend", "listen") and s.name in _LBCTL_FRONTENDS:
            ctx.report.native(len(s.lines) + 1)
        elif s.keyword == "frontend":
            _proxy_frontend(
                Proxy("frontend", s.name, s.where, s.lines, defaults), ctx, settings, model, errors
            )
        elif s.keyword == "backend":
            model["pools"].append(
                map_pool(
                    Proxy("backend", s.name, s.where, s.lines, defaults), ctx, settings, checks
                )
            )
        elif s.keyword == "listen":
            fe, pool = split_listen(s, defaults)
            if pool is not None:
                model["pools"].append(map_pool(pool, ctx, settings, checks))
            _proxy_frontend(fe, ctx, settings, model, errors)
        elif s.keyword == "userlist":
            model["userlists"].append(map_userlist(s, ctx))
        elif s.keyword == "resolvers":
            model["resolvers"].append(map_resolvers(s, ctx))
        elif s.keyword == "peers":
            ctx.report.add(
                "translated",
                s.where,
                f"peers {s.name}",
                "lbctl renders a peers section per VIP pair itself",
            )
        elif s.keyword in ("global", "http-errors"):
            pass
        else:
            ctx.report.add("dropped", s.where, f"{s.keyword} {s.name}", "no model object says this")
    _answer_without_servers(model, ctx)
    model["health_checks"] = list(checks.values())
    if not settings["extra"]:
        del settings["extra"]
    model["settings"] = settings
    return model


def _answer_without_servers(model: dict[str, Any], ctx: Context) -> None:
    """Give a pool left with nothing (its lines dropped) the answer HAProxy gives for it.

    A backend without servers answers 503 (HTTP) or closes the connection (TCP); said in
    one line, so that the pool is one the model keeps.
    """
    for pool in model["pools"]:
        if any(pool.get(key) for key in ("servers", "server_templates", "extra", "error_pages")):
            continue
        name = pool["name"]
        modes = {
            fe.get("mode", "http")
            for fe in model["frontends"]
            if fe.get("default_pool") == name
            or any(rule.get("use_pool") == name for rule in fe.get("rules", []))
            or any(line.split()[:2] == ["use_backend", name] for line in fe.get("extra", []))
        }
        line, answer = (
            ("tcp-request content reject", "closes the connection")
            if "tcp" in modes
            else ("http-request deny deny_status 503", "answers 503")
        )
        pool["extra"] = [line]
        ctx.report.add(
            "translated",
            None,
            f"backend {name}",
            f"nothing but servers could be kept, and it has none: `{line}` {answer}, "
            "as HAProxy does for a backend without servers",
        )


def _proxy_frontend(
    proxy: Proxy,
    ctx: Context,
    settings: dict[str, Any],
    model: dict[str, Any],
    errors: dict[str, list[str]],
) -> None:
    keywords = {ln.words[0] for ln in proxy.lines}
    if "stats" in keywords and not keywords & {"use_backend", "default_backend", "server"}:
        page = stats_page(proxy, ctx, model["userlists"])
        if page is not None:
            model["stats_pages"].append(page)
            return
    fe = map_frontend(proxy, ctx, settings, errors)
    if fe is not None:
        model["frontends"].append(fe)
