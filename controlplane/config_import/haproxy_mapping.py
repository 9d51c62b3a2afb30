"""haproxy.cfg sections -> the model's settings, frontends, pools, checks and declared files.

Each directive is either modelled natively (a typed field says the same), kept verbatim in
the `extra` of the object it belongs to, or dropped when the model has no safe place for
it -- and every one but the native ones is reported with its line. A frontend's ACLs and
rules map to the model's rules when every one of them can; otherwise all of them stay
verbatim, in their order, so the first match is still the same one.

`defaults` sections apply to the sections after them: the first gives `settings`, and a
frontend or pool under another one gets its own timeouts and extra lines.
"""

from __future__ import annotations

import contextlib
import ipaddress
import posixpath
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..model.directives import check_directive
from ..model.schema import MAX_RETRIES, Settings
from ..model.userlists import password_hash_problem
from .access_lists import file_acl, take_access
from .auth import auth_acls, request_auth, stats_login
from .conditions import (
    Alternatives,
    acl_names_used,
    acl_tests,
    rule_condition,
    split_condition,
)
from .crt_lists import crt_list_certificates
from .frontend_logging import frontend_logging, is_logging_line
from .haproxy_reader import Line, Section, host_path
from .names import Names
from .pattern_files import pattern_file_acl
from .pool_checks import (
    AGENT_WORDS,
    check_line,
    is_tcp_check,
    take_agent,
    take_send_proxy,
    tcp_check,
)
from .proof_patterns import MAP_FILE
from .proxy_settings import frontend_compression, log_target, settle_log_targets, tune_line
from .report import ImportRefused, Report, Where
from .server_templates import map_templates
from .stickiness import sticky_source
from .unix_binds import is_unix_bind, unix_bind

# Lines HAProxy reads only where a proxy has the backend side (a `listen` gives them to
# the pool); everything else in a `listen` goes to its frontend.
_BACKEND_KEYWORDS = frozenset(
    {
        "balance",
        "server",
        "default-server",
        "server-template",
        "cookie",
        "http-check",
        "tcp-check",
        "stick",
        "stick-table",
        "hash-type",
        "retries",
        "http-reuse",
        "fullconn",
        "source",
        "dispatch",
        "hash-balance-factor",
    }
)
_BACKEND_OPTIONS = frozenset(
    {
        "httpchk",
        "tcp-check",
        "ssl-hello-chk",
        "mysql-check",
        "pgsql-check",
        "redis-check",
        "smtpchk",
        "ldap-check",
        "allbackups",
        "redispatch",
        "persist",
        "http-server-close",
        "checkcache",
    }
)
_BACKEND_TIMEOUTS = {"connect", "server", "queue", "tunnel", "check"}
_FRONTEND_TIMEOUTS = {"client": "client", "client-fin": "client_fin"}
_HTTP_TIMEOUTS = {"http-request": "http_request", "http-keep-alive": "http_keep_alive"}
_FRONTEND_ONLY = frozenset(
    {"bind", "default_backend", "use_backend", "monitor-uri", "capture", "redirect", "acl"}
)
# What lbctl renders itself in every frontend or defaults: the line says nothing more.
_RENDERED_OPTIONS = frozenset(
    {"httplog", "tcplog", "dontlognull", "redispatch", "http-keep-alive", "idle-close-on-response"}
)
# Lines lbctl writes itself in defaults or a frontend, whatever the model says.
_RENDERED_LINES = (
    ["load-server-state-from-file", "global"],
    ["log", "global"],
)
# Global lines lbctl writes itself (process identity, its own sockets and files).
_LBCTL_GLOBALS = frozenset(
    {
        "user",
        "group",
        "uid",
        "gid",
        "daemon",
        "master-worker",
        "pidfile",
        "server-state-file",
        "ca-base",
        "crt-base",
        "localpeer",
        "stats",
    }
)
_FORWARDED_PROTO = ["http-request", "set-header", "X-Forwarded-Proto", "https"]
_BALANCES = frozenset({"roundrobin", "leastconn", "source", "uri", "first"})
_DURATION = re.compile(r"[0-9]{1,9}(us|ms|s|m|h|d)?")
_TIMEOUT_FIELDS = (
    "connect",
    "client",
    "server",
    "http_request",
    "http_keep_alive",
    "queue",
    "check",
    "tunnel",
)


# The model's default settings.files_dir, where the LB hosts get the declared maps.
_FILES_DIR: str = Settings.model_fields["files_dir"].default


def _cache_used(w: list[str]) -> str | None:
    """Return the cache a line uses (`filter cache C`, `http-request cache-use C`), or None."""
    if len(w) >= 3 and w[:2] in (
        ["filter", "cache"],
        ["http-request", "cache-use"],
        ["http-response", "cache-store"],
    ):
        return w[2]
    return None


def duration(value: str) -> str | None:
    """Return an HAProxy duration in the model's form ('5000' -> '5000ms'), or None."""
    if not _DURATION.fullmatch(value) or value.strip("0") in ("", "s", "ms", "m", "h", "d", "us"):
        return None
    return value if not value.isdigit() else f"{value}ms"


@dataclass
class FileRef:
    """A file a config names, found (or not) under DIR/<host>/files."""

    kind: str  # certificate, ca_bundle, crl, map, error_page
    path: str  # as HAProxy resolves it on the host
    name: str  # the model's name of the declared file
    found: bool


@dataclass
class Context:
    """What the mapping needs besides the sections: pairs, files, names, the report."""

    report: Report
    names: Names
    pairs: list[dict[str, Any]]
    read_file: Callable[[str, Where], bytes | None]
    files: dict[str, FileRef] = field(default_factory=dict)  # host path -> ref
    declared: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    crt_base: str = ""
    ca_base: str = ""
    caches: set[str] = field(default_factory=set)  # `cache NAME` sections: no model object

    def keep(self, where: list[Any], line: Line, note: str = "") -> bool:
        """Keep `line` verbatim in `where` (an `extra` list), or drop it if it may not be.

        Returns whether it was kept.
        """
        cache = _cache_used(line.words)
        if cache is not None and cache in self.caches:
            # The section is dropped (no model object), and HAProxy refuses a line naming it.
            self.report.add("dropped", line.where, line.raw, f"uses cache {cache}, not modelled")
            return False
        if "map" in line.raw:
            line = self._maps_declared(line)
        try:
            check_directive(line.raw)
        except ValueError as exc:
            self.report.add("dropped", line.where, line.raw, str(exc))
            return False
        where.append(line.raw)
        self.report.add("extra", line.where, line.raw, note)
        return True

    def _maps_declared(self, line: Line) -> Line:
        """Return `line` reading each collected map a converter names as a declared map.

        `map_dom(/etc/haproxy/hosts.map,app)` becomes `map_dom(<files_dir>/maps/hosts.map,app)`
        with `hosts` declared in maps[]; a map not collected stays as written (and the line is
        dropped, reported with the missing file).
        """

        def declared(match: re.Match[str]) -> str:
            name = self.declare("map", match.group(2), line.where)
            return (
                match.group(0) if name is None else f"{match.group(1)}{_FILES_DIR}/maps/{name}.map"
            )

        raw = MAP_FILE.sub(declared, line.raw)
        return line if raw == line.raw else Line(line.words, raw, line.where)

    def declare(self, kind: str, path: str, where: Where, status: int | None = None) -> str | None:
        """Declare the file a config names; return its model name, or None if missing."""
        bases = {"certificate": self.crt_base, "ca_bundle": self.ca_base, "crl": self.ca_base}
        base = bases.get(kind, "")
        if not path.startswith("/") and base:
            path = posixpath.join(base, path)
        path = host_path(path)
        ref = self.files.get(path)
        if ref is None:
            content = self.read_file(path, where)
            stem = posixpath.basename(path).rsplit(".", 1)[0] or kind
            name = self.names.name(kind, stem if status is None else f"{stem}", where)
            ref = FileRef(kind, path, name, content is not None)
            self.files[path] = ref
            if content is None:
                self.report.add("missing", where, path, f"not in the collected files ({kind})")
            else:
                entry: dict[str, Any] = {"name": name, "file": "files" + path}
                if status is not None:
                    entry["status"] = status
                section = {
                    "certificate": "certificates",
                    "ca_bundle": "ca_bundles",
                    "crl": "crls",
                    "map": "maps",
                    "error_page": "error_pages",
                }[kind]
                self.declared.setdefault(section, []).append(entry)
        elif not ref.found:
            # Each line naming a missing file is reported, not only the first.
            self.report.add("missing", where, path, f"not in the collected files ({kind})")
        return ref.name if ref.found else None


@dataclass
class Defaults:
    """One `defaults` section, read for the sections after it."""

    lines: list[Line] = field(default_factory=list)
    timeouts: dict[str, str] = field(default_factory=dict)
    mode: str = "tcp"  # HAProxy's own default when no mode is given
    forwardfor: bool = False
    maxconn: int | None = None
    balance: str | None = None
    retries: int | None = None
    default_server: list[str] = field(default_factory=list)
    rest: list[Line] = field(default_factory=list)


def read_defaults(section: Section, ctx: Context) -> Defaults:
    d = Defaults()
    for line in section.lines:
        w = line.words
        if w[0] == "timeout" and len(w) == 3 and duration(w[2]):
            d.timeouts[w[1].replace("-", "_")] = duration(w[2]) or ""
        elif w[0] == "mode" and len(w) == 2 and w[1] in ("http", "tcp"):
            d.mode = w[1]
        elif w[:2] == ["option", "forwardfor"] and len(w) == 2:
            d.forwardfor = True
        elif (
            w[0] == "option" and len(w) == 2 and w[1] in _RENDERED_OPTIONS
        ) or w in _RENDERED_LINES:
            pass
        elif w[0] == "maxconn" and len(w) == 2 and w[1].isdigit():
            d.maxconn = int(w[1])
        elif w[0] == "retries" and len(w) == 2 and w[1].isdigit() and int(w[1]) <= MAX_RETRIES:
            # More than the model takes stays a line of its own (rest: each backend keeps it).
            d.retries = int(w[1])
        elif w[0] == "balance" and len(w) == 2:
            d.balance = w[1]
        elif w[0] == "default-server":
            d.default_server += w[1:]
        else:
            d.rest.append(line)
            continue
        ctx.report.native()
    return d


def settings_timeouts(d: Defaults) -> dict[str, str]:
    """The model's eight timeouts from one defaults section, HAProxy's fallbacks applied."""
    t = d.timeouts
    connect = t.get("connect", "5s")
    client = t.get("client", "30s")
    server = t.get("server", "30s")
    http_request = t.get("http_request", client)
    return {
        "connect": connect,
        "client": client,
        "server": server,
        "http_request": http_request,
        "http_keep_alive": t.get("http_keep_alive", http_request),
        "queue": t.get("queue", connect),
        "check": t.get("check", connect),
        "tunnel": t.get("tunnel", server),
    }


def _is_backend_line(w: list[str]) -> bool:
    if w[0] in _BACKEND_KEYWORDS:
        return True
    if w[0] == "option" and len(w) > 1 and w[1] in _BACKEND_OPTIONS:
        return True
    return w[0] == "timeout" and len(w) > 1 and w[1] in _BACKEND_TIMEOUTS


def map_global(section: Section, ctx: Context, settings: dict[str, Any]) -> None:
    tls: dict[str, Any] = {}
    for line in section.lines:
        w = line.words
        key = w[0]
        if key == "maxconn" and len(w) == 2 and w[1].isdigit():
            settings["maxconn"] = int(w[1])
        elif key == "nbthread" and len(w) == 2 and w[1].isdigit():
            settings["nbthread"] = int(w[1])
        elif key == "hard-stop-after" and len(w) == 2 and duration(w[1]):
            settings["hard_stop_after"] = duration(w[1])
        elif key == "chroot" and len(w) == 2:
            settings["chroot"] = w[1]
        elif key == "log" and (target := log_target(w)) is not None:
            settings.setdefault("log_targets", []).append(target)
        elif key == "log" and len(w) >= 3:
            ctx.keep(settings["extra"], line, "a log target the model cannot say")
            continue
        elif tune_line(w, settings):
            pass
        elif key in ("crt-base", "ca-base") and len(w) == 2:
            setattr(ctx, key.replace("-", "_"), w[1])
        elif key in ("user", "group") and w[1:] != ["haproxy"]:
            ctx.report.add("differs", line.where, line.raw, "lbctl runs HAProxy as haproxy")
            continue
        elif key in _LBCTL_GLOBALS:
            pass  # lbctl writes these itself: its process, its sockets, its state file
        elif key == "ssl-default-bind-ciphers" and len(w) == 2:
            tls["bind_ciphers"] = w[1]
        elif key == "ssl-default-bind-ciphersuites" and len(w) == 2:
            tls["bind_ciphersuites"] = w[1]
        elif key == "ssl-default-server-ciphers" and len(w) == 2:
            tls["server_ciphers"] = w[1]
        elif key in ("ssl-default-bind-options", "ssl-default-server-options"):
            if not _tls_options(w[1:], tls, "bind" if "bind" in key else "server"):
                ctx.keep(settings["extra"], line)
                continue
        else:
            ctx.keep(settings["extra"], line)
            continue
        ctx.report.native()
    if tls:
        settings["tls"] = tls
    settle_log_targets(settings)


def _tls_options(words: list[str], tls: dict[str, Any], side: str) -> bool:
    i = 0
    found: dict[str, Any] = {}
    while i < len(words):
        if words[i] == "ssl-min-ver" and i + 1 < len(words):
            found[f"{side}_min_version"] = words[i + 1]
            i += 2
        elif words[i] == "no-tls-tickets" and side == "bind":
            found["tls_tickets"] = False
            i += 1
        else:
            return False
    tls.update(found)
    return True


@dataclass
class Proxy:
    """A frontend, backend or the two halves of a listen, before mapping."""

    kind: str
    name: str
    where: Where
    lines: list[Line]
    defaults: Defaults


def split_listen(section: Section, d: Defaults) -> tuple[Proxy, Proxy | None]:
    """A listen's frontend half and its pool half (None when it has no servers)."""
    front = [ln for ln in section.lines if not _is_backend_line(ln.words)]
    back = [ln for ln in section.lines if _is_backend_line(ln.words)]
    has_servers = any(ln.keyword in ("server", "server-template") for ln in back)
    fe = Proxy("frontend", section.name, section.where, front, d)
    if not has_servers:
        fe.lines = section.lines
        return fe, None
    fe.lines = [*front, Line(["default_backend", section.name], "", section.where)]
    return fe, Proxy("backend", section.name, section.where, back, d)


# --- pools -----------------------------------------------------------------------------


def map_pool(
    proxy: Proxy, ctx: Context, settings: dict[str, Any], checks: dict[str, Any]
) -> dict[str, Any]:
    d = proxy.defaults
    name = ctx.names.name("pool", proxy.name, proxy.where)
    pool: dict[str, Any] = {"name": name, "servers": [], "extra": []}
    if d.balance:
        proxy_lines = [Line(["balance", d.balance], f"balance {d.balance}", proxy.where)]
    else:
        proxy_lines = []
    check: dict[str, Any] = {}
    default_server = list(d.default_server)
    timeouts = dict(d.timeouts)
    checked: list[bool] = []
    servers: list[tuple[Line, list[str]]] = []
    templates: list[Line] = []
    cookie: Line | None = None
    extra_lines = [ln for ln in d.rest if _is_backend_line(ln.words)]
    tcp = tcp_check([ln.words for ln in proxy.lines])
    if tcp is not None:
        check.update(tcp)
    for line in proxy_lines + proxy.lines:
        w = line.words
        key = w[0]
        if key == "balance" and len(w) == 2 and w[1] in _BALANCES:
            pool["balance"] = w[1]
        elif key == "server" and len(w) >= 3:
            servers.append((line, w))
            continue  # counted per server
        elif key == "server-template":
            templates.append(line)
            continue  # counted per template
        elif key == "default-server":
            default_server += w[1:]
        elif w[:2] == ["option", "httpchk"] and _plain_check(w[2:]):
            check["type"] = "http"
            rest = w[2:]
            if len(rest) == 1:
                check["path"] = rest[0]
            elif len(rest) >= 2:
                check["method"], check["path"] = rest[0], rest[1]
                if len(rest) > 2 and not _check_host(rest[2:], check):
                    ctx.keep(pool["extra"], line)
                    continue
        elif key == "http-check" and w[1:2] == ["send"]:
            if not _check_send(w[2:], check):
                ctx.keep(pool["extra"], line)
                continue
        elif key == "http-check" and w[1:3] == ["expect", "status"] and len(w) == 4:
            check["expect_status"] = int(w[3]) if w[3].isdigit() else 200
        elif key == "http-check" and w[1:3] == ["expect", "string"] and len(w) == 4:
            check["expect_string"] = w[3]
        elif check_line(w, check) or (tcp is not None and is_tcp_check(w)):
            pass
        elif key == "timeout" and len(w) == 3 and duration(w[2]):
            timeouts[w[1].replace("-", "_")] = duration(w[2]) or ""
        elif (
            key == "cookie"
            and len(w) >= 3
            and w[2:]
            in (
                ["insert", "indirect", "nocache"],
                ["insert", "indirect", "nocache", "httponly"],
            )
        ):
            pool["sticky"] = "cookie"
            pool["cookie_name"] = w[1]
            cookie = line
        elif key == "errorfile" and len(w) == 3 and w[1].isdigit():
            page = ctx.declare("error_page", w[2], line.where, int(w[1]))
            if page is None:
                continue
            pool.setdefault("error_pages", []).append(page)
        elif key == "mode" or w == ["log", "global"]:
            pass  # a pool's mode is its frontends'
        elif key == "option" and len(w) == 2 and w[1] in _RENDERED_OPTIONS:
            pass
        else:
            extra_lines.append(line)
            continue
        ctx.report.native()
    acls = _KeptAcls()  # a backend's own ACLs: a rule naming one that is gone goes too
    for line in sticky_source(pool, extra_lines, ctx):
        acls.keep(pool["extra"], _peers_dropped(line, ctx), ctx)
    options = _server_options(default_server)
    take_agent(options, check)
    weight = options.pop("weight") if options.get("weight", "").isdigit() else None
    endpoints: dict[tuple[str, int], str] = {}
    for line, w in servers:
        server, has_check, dropped = _server(line, w, ctx, pool)
        if server is None:
            continue
        first = endpoints.setdefault((server["address"], server["port"]), server["name"])
        if first != server["name"]:
            # Two servers at one address and port (told apart by `sni`, say): the model
            # takes one server per endpoint, so the later one stays as written.
            ctx.keep(pool["extra"], line, f"same address and port as server {first}")
            continue
        if weight is not None and "weight" not in w[3:]:
            server["weight"] = int(weight)  # the default-server's, where the line sets none
        pool["servers"].append(server)
        checked.append(has_check)
        for word in dropped:
            ctx.report.add("dropped", line.where, line.raw, f"server option {word!r}")
        if not dropped:
            ctx.report.native()
    templates_checked, verbatim = map_templates(templates, ctx, pool, _server)
    checked += templates_checked
    for line in verbatim:
        ctx.keep(pool["extra"], line)
    _only_backups(pool, proxy, ctx)
    if cookie is not None and any(
        s.get("_cookie") not in (None, s["name"]) for s in pool["servers"]
    ):
        ctx.report.add(
            "translated", cookie.where, cookie.raw, "each server's cookie value is its name"
        )
    for s in pool["servers"]:
        s.pop("_cookie", None)
    ports = {s.pop("_check_port", None) for s in pool["servers"]}
    if len(ports) == 1 and None not in ports:
        options["port"] = ports.pop() or ""  # every server checked on the same other port
    elif ports - {None}:
        ctx.report.add(
            "differs",
            proxy.where,
            f"backend {proxy.name}",
            "servers are checked on different ports: the model checks one port for all",
        )
    if any(checked):
        if not all(checked):
            ctx.report.add(
                "differs",
                proxy.where,
                f"backend {proxy.name}",
                "some servers are checked and some not: the model checks all of them",
            )
        check.setdefault("type", "tcp")
        for word, key in (("inter", "interval"), ("rise", "rise"), ("fall", "fall")):
            if word in options:
                value = options.pop(word)
                check[key] = duration(value) if key == "interval" else int(value)
        if "port" in options:
            check["port"] = int(options.pop("port"))
        pool["health_check"] = _check_name(check, name, ctx, checks)
    own = {k: v for k, v in timeouts.items() if k in _BACKEND_TIMEOUTS}
    base = settings["timeouts"]
    differ = {k: v for k, v in own.items() if base.get(k) != v}
    if differ:
        pool["timeouts"] = differ
    ds: dict[str, Any] = {}
    for word, key in (("maxconn", "maxconn"), ("maxqueue", "maxqueue")):
        if word in options and options[word].isdigit():
            ds[key] = int(options.pop(word))
    if "slowstart" in options:
        ds["slow_start"] = duration(options.pop("slowstart"))
    take_send_proxy(options, ds)
    if ds:
        pool["default_server"] = ds
    for word in options:
        ctx.report.add("dropped", proxy.where, f"default-server {word}", "no model field")
    if not pool["extra"]:
        del pool["extra"]
    return pool


def _peers_dropped(line: Line, ctx: Context, frontend: bool = False) -> Line:
    """A stick-table's `peers NAME`: lbctl renders its own peers sections."""
    w = line.words
    if w[0] == "stick-table" and "peers" in w:
        i = w.index("peers")
        words = w[:i] + w[i + 2 :]
        if frontend:
            # A frontend's verbatim table (counters, rate limits) gets no peers section.
            note = "its counters are no longer shared with the other host on failover"
            ctx.report.add("differs", line.where, line.raw, note)
        else:
            ctx.report.add("translated", line.where, line.raw, "its peers are lbctl's own")
        return Line(words, " ".join(words), line.where)
    return line


def _check_host(words: list[str], check: dict[str, Any]) -> bool:
    # `option httpchk GET /health HTTP/1.1\r\nHost:\ www` (the old way to send a Host).
    text = " ".join(words)
    match = re.fullmatch(r"HTTP/1\.[01](\r\nHost: ?([A-Za-z0-9.-]+))?", text)
    if not match:
        return False
    if match.group(2):
        check["host"] = match.group(2)
    return True


def _check_send(words: list[str], check: dict[str, Any]) -> bool:
    i = 0
    while i + 1 < len(words):
        key, value = words[i], words[i + 1]
        if key == "meth":
            check["method"] = value
        elif key == "uri":
            check["path"] = value
        elif key == "ver":
            pass
        elif key == "hdr" and i + 2 < len(words) and value.lower() == "host":
            check["host"] = words[i + 2]
            i += 1
        else:
            return False
        i += 2
    check["type"] = "http"
    return i == len(words)


def _check_name(check: dict[str, Any], pool: str, ctx: Context, checks: dict[str, Any]) -> str:
    key = repr(sorted(check.items()))
    if key not in checks:
        name = ctx.names.name("health_check", f"{pool}-check")
        checks[key] = {"name": name, **check}
    return str(checks[key]["name"])


# Server options followed by a value: `default-server verify none weight 100` is three
# options, not six.
_VALUED_SERVER_OPTIONS = (
    "weight",
    "verify",
    "downinter",
    "fastinter",
    "agent-port",
    "agent-inter",
    "on-marked-down",
    "on-marked-up",
    "error-limit",
    "observe",
    "init-addr",
    "resolvers",
    "resolve-prefer",
    "ca-file",
    "crt",
    "sni",
    "check-sni",
    "ssl-min-ver",
    "ssl-max-ver",
    "alpn",
    "check-alpn",
)


# Other server options HAProxy 2.6 reads with a value, none of them a model field.
_OTHER_VALUED_SERVER_OPTIONS = (
    "addr",
    "agent-addr",
    "agent-send",
    "check-proto",
    "ciphers",
    "ciphersuites",
    "crl-file",
    "curves",
    "id",
    "log-proto",
    "max-reuse",
    "maxqueue",
    "minconn",
    "namespace",
    "npn",
    "on-error",
    "pool-low-conn",
    "pool-max-conn",
    "pool-purge-delay",
    "proto",
    "proxy-v2-options",
    "redir",
    "sigalgs",
    "tcp-ut",
    "track",
    "ws",
)


def _server_options(words: list[str]) -> dict[str, str]:
    """`default-server inter 3s rise 2` -> {'inter': '3s', 'rise': '2'}."""
    out: dict[str, str] = {}
    i = 0
    while i < len(words):
        if i + 1 < len(words) and words[i] in (
            "inter",
            "rise",
            "fall",
            "port",
            "maxconn",
            "maxqueue",
            "slowstart",
            *AGENT_WORDS,
            *_VALUED_SERVER_OPTIONS,
        ):
            out[words[i]] = words[i + 1]
            i += 2
        elif words[i] == "check":
            i += 1
        else:
            out[words[i]] = ""
            i += 1
    return out


def _plain_check(rest: list[str]) -> bool:
    """Return whether `option httpchk [METHOD] URI ...` asks a path (not `OPTIONS *`)."""
    uri = rest[0] if len(rest) == 1 else (rest[1] if len(rest) >= 2 else "/")
    return uri.startswith("/")


def _only_backups(pool: dict[str, Any], proxy: Proxy, ctx: Context) -> None:
    """Make a pool whose servers are all backups serve as HAProxy serves it.

    With no active server HAProxy sends everything to the first backup (to all of them
    with `option allbackups`); the model wants an active server, so those become active.
    """
    servers = pool["servers"]
    if not servers or pool.get("server_templates") or not all(s.get("backup") for s in servers):
        return
    lines = [*proxy.defaults.rest, *proxy.lines]
    if any(line.words == ["option", "allbackups"] for line in lines):
        for server in servers:
            del server["backup"]
        note = "every server is a backup and they share the load (allbackups): all are active"
    else:
        del servers[0]["backup"]
        note = f"every server is a backup, so the first serves: {servers[0]['name']} is active"
    ctx.report.add("translated", proxy.where, f"backend {proxy.name}", note)


def _server(
    line: Line, w: list[str], ctx: Context, pool: dict[str, Any]
) -> tuple[dict[str, Any] | None, bool, list[str]]:
    name = ctx.names.name(f"server:{pool['name']}", w[1], line.where)
    address, _, port = literal_address(w[2]).rpartition(":")
    address = address.strip("[]")
    if not port.isdigit() or not address:
        # `server s 10.0.0.5`: HAProxy connects to the port the client connected to.
        ctx.keep(pool["extra"], line, "a server without a port has no model field")
        return None, False, []
    server: dict[str, Any] = {"name": name, "address": address, "port": int(port), "weight": 1}
    has_check = False
    dropped: list[str] = []
    i = 3
    opts = w[3:]
    i = 0
    while i < len(opts):
        word = opts[i]
        value = opts[i + 1] if i + 1 < len(opts) else ""
        takes = True
        if word == "check":
            has_check, takes = True, False
        elif word == "weight" and value.isdigit():
            server["weight"] = int(value)
        elif word == "backup":
            server["backup"], takes = True, False
        elif word == "disabled":
            server["state"], takes = "maint", False
        elif word == "maxconn" and value.isdigit():
            server["maxconn"] = int(value)
        elif word == "inter" and duration(value):
            server["check_interval"] = duration(value)
        elif word in ("rise", "fall") and value.isdigit():
            server[word] = int(value)
        elif word == "slowstart" and duration(value):
            server["slow_start"] = duration(value)
        elif word in ("send-proxy", "send-proxy-v2"):
            server["send_proxy"], takes = ("v2" if word.endswith("v2") else "v1"), False
        elif word in ("no-send-proxy", "no-send-proxy-v2"):
            # Switches the pool's version off for a server that sends the other one (as
            # the model renders a server's send_proxy); alone it has no model form.
            if not any(o in ("send-proxy", "send-proxy-v2") and o != word[3:] for o in opts):
                dropped.append(word)
            takes = False
        elif word == "cookie":
            server["_cookie"] = value
        elif word == "ssl":
            server["tls"], takes = True, False
        elif word == "verify" and value in ("none", "required"):
            pool["tls_verify"] = value
        elif word == "ca-file" and value == "@system-ca":
            pass  # the model's default
        elif word == "ca-file":
            bundle = ctx.declare("ca_bundle", value, line.where)
            if bundle:
                pool.setdefault("tls", {})["ca_bundle"] = bundle
        elif word in ("resolvers",):
            pool["resolvers"] = ctx.names.name("resolvers", value)
        elif word == "port" and value.isdigit():
            server["_check_port"] = value  # the pool's health check port, see map_pool
        elif word in ("init-addr", "check-ssl"):
            pass
        elif word == "resolve-prefer" and value in ("ipv4", "ipv6"):
            pool["resolve_prefer"] = value
        elif word in _VALUED_SERVER_OPTIONS + _OTHER_VALUED_SERVER_OPTIONS and value:
            dropped.append(f"{word} {value}")  # one option: its value is not another
        else:
            dropped.append(word)
            takes = False
        i += 2 if takes else 1
    return server, has_check, dropped


# --- frontends -------------------------------------------------------------------------


def literal_address(text: str) -> str:
    """Return `ipv4@10.0.0.5:80` as `10.0.0.5:80`: before a literal address, the family
    prefix says nothing the address does not (before a name it picks the lookup's family,
    and stays)."""
    family, at, rest = text.partition("@")
    if at and family in ("ipv4", "ipv6"):
        host = rest.rpartition(":")[0].strip("[]")
        with contextlib.suppress(ValueError):
            ipaddress.ip_address(host)
            return rest
    return text


def _address_port(text: str) -> tuple[str, int] | None:
    address, _, port = literal_address(text).rpartition(":")
    if not port.isdigit():
        return None
    address = address.strip("[]")
    if address in ("", "0.0.0.0"):
        address = "*"
    return address, int(port)


def _pair_of(address: str, pairs: list[dict[str, Any]]) -> tuple[dict[str, Any], str | None]:
    for pair in pairs:
        for vip in pair["vips"]:
            if vip.split("/")[0] == address:
                return pair, address
    return pairs[0], None


@dataclass
class _Rules:
    acls: dict[str, Alternatives | None] = field(default_factory=dict)
    acl_lines: list[Line] = field(default_factory=list)
    request: list[Line] = field(default_factory=list)  # http-request, http-response
    redirects: list[Line] = field(default_factory=list)
    use_backends: list[Line] = field(default_factory=list)
    proxy: str = ""  # its name in the original: HAProxy's realm when `http-request auth` has none
    gone: set[str] = field(default_factory=set)  # ACLs none of whose lines could be kept


def map_frontend(
    proxy: Proxy, ctx: Context, settings: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any] | None:
    d = proxy.defaults
    name = ctx.names.name("frontend", proxy.name, proxy.where)
    fe: dict[str, Any] = {"name": name, "extra": []}
    mode = d.mode
    forwardfor = d.forwardfor
    timeouts = dict(d.timeouts)
    maxconn = d.maxconn
    rules = _Rules(proxy=proxy.name)
    binds: list[Line] = []
    extra_lines = [ln for ln in d.rest if not _is_backend_line(ln.words)]
    compression = frontend_compression([ln.words for ln in proxy.lines])
    if compression is not None:
        fe["compression"] = compression
    logging = frontend_logging(proxy.lines)
    if logging is not None:
        fe["logging"] = logging
    for line in proxy.lines:
        w = line.words
        key = w[0]
        if key == "bind" and len(w) >= 2:
            binds.append(line)
            continue
        if key == "mode" and len(w) == 2 and w[1] in ("http", "tcp"):
            mode = w[1]
        elif key == "default_backend" and len(w) == 2:
            fe["default_pool"] = ctx.names.name("pool", w[1])
            if not line.raw:
                continue  # a listen's own pool: not a line of the original
        elif key == "acl" and len(w) >= 3:
            inline = file_acl(line, ctx.read_file, ctx.report) or pattern_file_acl(
                line, ctx.read_file, ctx.report
            )
            for acl in inline or [line]:
                rules.acl_lines.append(acl)
                tests = acl_tests(acl.words[2:])
                if w[1] in rules.acls:
                    earlier = rules.acls[w[1]]
                    tests = None if earlier is None or tests is None else earlier + tests
                rules.acls[w[1]] = tests
            continue
        elif w == _FORWARDED_PROTO and any(
            "ssl" in b.words for b in proxy.lines if b.keyword == "bind"
        ):
            pass  # lbctl sets it on every TLS frontend
        elif key in ("http-request", "http-response"):
            rules.request.append(line)
            continue
        elif key == "redirect":
            rules.redirects.append(line)
            continue
        elif key == "use_backend":
            rules.use_backends.append(line)
            continue
        elif w[:2] == ["option", "forwardfor"] and len(w) == 2:
            forwardfor = True
        elif (
            (key == "compression" and compression is not None)
            or (logging is not None and is_logging_line(w))
            or (key == "option" and len(w) == 2 and w[1] in _RENDERED_OPTIONS)
            or w in _RENDERED_LINES
        ):
            pass
        elif key == "maxconn" and len(w) == 2 and w[1].isdigit():
            maxconn = int(w[1])
        elif key == "timeout" and len(w) == 3 and duration(w[2]):
            timeouts[w[1].replace("-", "_")] = duration(w[2]) or ""
        elif key == "errorfile" and len(w) == 3 and w[1].isdigit():
            page = ctx.declare("error_page", w[2], line.where, int(w[1]))
            if page is None:
                continue
            fe.setdefault("error_pages", []).append(page)
        elif key == "errorfiles" and len(w) == 2 and w[1] in errors:
            fe.setdefault("error_pages", []).extend(errors[w[1]])
        elif _is_backend_line(w) and key != "stick-table":
            ctx.report.add("dropped", line.where, line.raw, "a frontend has no servers")
            continue
        else:
            extra_lines.append(line)
            continue
        ctx.report.native()
    if not binds:
        ctx.report.add("dropped", proxy.where, f"frontend {proxy.name}", "it listens nowhere")
        return None
    if not _binds(fe, binds, ctx):
        return None
    fe["mode"] = mode
    if mode == "http" and not forwardfor:
        fe["forwarded_for"] = False
    if maxconn and maxconn != settings["maxconn"]:
        fe["maxconn"] = maxconn
    base = settings["timeouts"]
    mine = {**_FRONTEND_TIMEOUTS, **(_HTTP_TIMEOUTS if mode == "http" else {})}
    differ = {
        field_: timeouts[key.replace("-", "_")]
        for key, field_ in mine.items()
        if key.replace("-", "_") in timeouts and base.get(field_) != timeouts[key.replace("-", "_")]
    }
    if differ:
        fe["timeouts"] = differ
    _map_rules(fe, rules, extra_lines, ctx)
    if not (fe.get("default_pool") or fe.get("rules") or rules.use_backends):
        ctx.report.add(
            "dropped",
            proxy.where,
            f"{proxy.kind} {proxy.name}",
            "a frontend of the model sends traffic to a pool, and this one names none",
        )
        return None
    kept = _KeptAcls(gone=rules.gone)
    for line in extra_lines:
        kept.keep(fe["extra"], _peers_dropped(line, ctx, frontend=True), ctx)
    if not fe["extra"]:
        del fe["extra"]
    return fe


def _binds(fe: dict[str, Any], binds: list[Line], ctx: Context) -> bool:
    first = True
    # Unix sockets after the network binds: the first of those gives the pair and TLS.
    for line in sorted(binds, key=is_unix_bind):
        w = line.words
        if is_unix_bind(line):
            unix_bind(fe, line, ctx)
            continue
        found = _address_port(w[1])
        if found is None:
            ctx.report.add("dropped", line.where, line.raw, "not an address:port the model reads")
            continue
        address, port = found
        options, ok = _bind_options(w[2:], fe, ctx, line, first)
        if not ok:
            continue
        if first:
            pair, vip = _pair_of(address, ctx.pairs)
            fe["vip_pair"] = pair["name"]
            fe["port"] = port
            if vip is not None:
                fe["vip"] = vip
            else:
                fe.setdefault("binds", []).append({"address": address, "port": port})
                if address != "*":
                    ctx.report.add(
                        "translated",
                        line.where,
                        line.raw,
                        f"also listens on the VIP of pair {pair['name']}",
                    )
            if options.get("accept_proxy"):
                fe["accept_proxy"] = True
            first = False
        else:
            bind: dict[str, Any] = {"address": address, "port": port}
            if options.get("accept_proxy"):
                bind["accept_proxy"] = True
            if "tls" in fe and not options.get("ssl"):
                bind["tls"] = False
            fe.setdefault("binds", []).append(bind)
        ctx.report.native()
    return not first


def _bind_options(
    words: list[str], fe: dict[str, Any], ctx: Context, line: Line, first: bool
) -> tuple[dict[str, Any], bool]:
    found: dict[str, Any] = {}
    tls: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word = words[i]
        value = words[i + 1] if i + 1 < len(words) else ""
        if word == "ssl":
            found["ssl"] = True
            i += 1
        elif word == "accept-proxy":
            found["accept_proxy"] = True
            i += 1
        elif word == "crt" and value:
            name = ctx.declare("certificate", value, line.where)
            if name is None:
                tls.setdefault("certificate", _host_path(value, ctx.crt_base))
            else:
                tls.setdefault("certificates", []).append(name)
            i += 2
        elif word == "crt-list" and value:
            path = _host_path(value, ctx.crt_base)
            if not crt_list_certificates(path, line, tls, ctx.read_file, ctx.declare, ctx.report):
                ctx.report.add("dropped", line.where, line.raw, "its crt-list was not read")
                return found, False
            i += 2
        elif word == "alpn" and value:
            tls["alpn"] = value.split(",")
            i += 2
        elif word == "ssl-min-ver" and value:
            tls["min_version"] = value
            i += 2
        elif word == "ciphers" and value:
            tls["ciphers"] = value
            i += 2
        elif word in ("v4v6", "transparent"):
            i += 1
        elif word == "name" and value:
            # Only labels the listener in stats and logs: the bind itself carries over.
            ctx.report.add("dropped", line.where, line.raw, "bind option 'name' (a label)")
            i += 2
        else:
            ctx.report.add("dropped", line.where, line.raw, f"bind option {word!r}")
            return found, False
    if found.get("ssl") and first:
        tls.setdefault("alpn", [])
        if "certificate" in tls and "certificates" in tls:
            # The collected ones are served; the missing ones are reported above.
            tls.pop("certificate")
        fe["tls"] = tls
    return found, True


def _host_path(path: str, base: str) -> str:
    # Without a base, HAProxy reads a relative path from its working directory: / as a
    # service manager starts it.
    return posixpath.normpath(posixpath.join(base or "/", path))


def _map_rules(fe: dict[str, Any], rules: _Rules, extra_lines: list[Line], ctx: Context) -> None:
    access, taken = take_access(rules.request, rules.acls) if fe["mode"] == "http" else ({}, 0)
    ordered = rules.request[taken:] + rules.redirects + rules.use_backends
    mapped: list[dict[str, Any]] = []
    auth = auth_acls(rules.acl_lines)
    for line in ordered:
        rule = _rule(line, rules.acls, ctx, fe["mode"]) or _auth_rule(line, rules, auth)
        if rule is None:
            break
        mapped.append(rule)
    referenced = {w for ln in extra_lines for w in ln.words}
    if len(mapped) == len(ordered) and not referenced & set(rules.acls):
        if mapped:
            fe["rules"] = mapped
        if access:
            fe["access"] = access
        ctx.report.native(len(ordered) + taken + len(rules.acl_lines))
        return
    # Keep them all, in the order HAProxy reads them: first match stays the same one.
    acls = _KeptAcls()
    for line in rules.acl_lines + rules.request[:taken] + ordered:
        if line.keyword == "use_backend" and len(line.words) >= 2 and "%" not in line.words[1]:
            # A computed name (`%[req.hdr(host),lower]`) is no pool's: it stays as written.
            target = ctx.names.name("pool", line.words[1])
            words = ["use_backend", target, *line.words[2:]]
            raw = (
                line.raw if target == line.words[1] else line.raw.replace(line.words[1], target, 1)
            )
            line = Line(words, raw, line.where)
        acls.keep(fe["extra"], line, ctx, "the frontend's rules are kept verbatim, in order")
    rules.gone = acls.gone()


class _KeptAcls:
    """Which named ACLs a proxy's kept lines define, so a line naming a gone one goes too.

    An ACL line may be dropped (a pattern file that was not collected, a fetch the model
    refuses); HAProxy refuses a rule naming an ACL no line defines, so that rule is dropped
    as well, reported with the ACL's name. An ACL with one of its lines kept stays defined.
    """

    def __init__(self, gone: set[str] | None = None) -> None:
        self.kept: set[str] = set()
        self.dropped: set[str] = set(gone or ())  # `gone`: ones earlier lines could not keep

    def gone(self) -> set[str]:
        return self.dropped - self.kept

    def keep(self, where: list[Any], line: Line, ctx: Context, note: str = "") -> None:
        if line.words[0] == "acl" and len(line.words) > 1:
            name = line.words[1]
            (self.kept if ctx.keep(where, line, note) else self.dropped).add(name)
            return
        missing = sorted(acl_names_used(line.words) & self.gone())
        if missing:
            ctx.report.add(
                "dropped",
                line.where,
                line.raw,
                f"uses ACL {', '.join(missing)}, whose lines could not be kept",
            )
            return
        ctx.keep(where, line, note)


def _rule(
    line: Line, acls: dict[str, Alternatives | None], ctx: Context, mode: str = "http"
) -> dict[str, Any] | None:
    action, cond = split_condition(line.words) or ([], [])
    condition = rule_condition(cond, acls)
    if condition is None or (mode == "tcp" and not _tcp_tests_only(condition)):
        return None
    act = _action(action, ctx)
    if act is None:
        return None
    return {**condition, **act}


# What a tcp frontend's rule may test (it has no HTTP request); HAProxy itself accepts an
# HTTP test there and never matches it, which only a verbatim line keeps.
_TCP_TESTS = frozenset({"source", "dst_port"})


def _tcp_tests_only(condition: dict[str, Any]) -> bool:
    """Return whether every test of a rule's condition is one a tcp frontend can make."""
    groups = condition.values()
    tests = [
        test
        for group in groups
        for test in (group if isinstance(group, list) else [group])
        if isinstance(test, dict)
    ]
    return all(set(test) <= _TCP_TESTS for test in tests)


def _auth_rule(line: Line, rules: _Rules, auth: dict[str, str]) -> dict[str, Any] | None:
    action, cond = split_condition(line.words) or ([], [])
    return request_auth(action, cond, auth, rules.proxy, lambda c: rule_condition(c, rules.acls))


def _action(w: list[str], ctx: Context) -> dict[str, Any] | None:
    if not w:
        return None
    if w[0] == "use_backend" and len(w) == 2 and "%" not in w[1]:
        return {"use_pool": ctx.names.name("pool", w[1])}
    if w[0] == "redirect":
        return _redirect(w[1:])
    if w[0] == "http-request" and len(w) >= 2:
        if w[1] == "redirect":
            return _redirect(w[2:])
        if w[1] == "deny":
            if len(w) == 2:
                return {"deny": {}}
            if len(w) == 4 and w[2] == "deny_status" and w[3].isdigit():
                return {"deny": {"status": int(w[3])}}
            return None
        if w[1] == "return":
            return _respond(w[2:])
    if w[0] in ("http-request", "http-response") and len(w) >= 3:
        side = "request_headers" if w[0] == "http-request" else "response_headers"
        edits = _header_edit(w[1:])
        if edits is not None:
            return {side: edits}
    return None


def _redirect(w: list[str]) -> dict[str, Any] | None:
    if len(w) < 2 or w[0] not in ("scheme", "location", "prefix"):
        return None
    target = w[1]
    out: dict[str, Any] = {}
    if w[0] == "scheme":
        if target != "https":
            return None
        out["scheme"] = "https"
    else:
        if "%[" in target or "'" in target:
            return None
        out[w[0]] = target
    rest = w[2:]
    while rest:
        if rest[0] == "code" and len(rest) > 1 and rest[1] in ("301", "302", "303", "307", "308"):
            out["code"] = int(rest[1])
            rest = rest[2:]
        else:
            return None
    return {"redirect": out}


def _respond(w: list[str]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    i = 0
    while i + 1 < len(w):
        key, value = w[i], w[i + 1]
        if key == "status" and value.isdigit():
            out["status"] = int(value)
        elif key == "content-type":
            out["content_type"] = value
        elif key == "string" and "'" not in value:
            out["body"] = value
        else:
            return None
        i += 2
    return {"respond": out} if i == len(w) else None


def _header_edit(w: list[str]) -> dict[str, Any] | None:
    verb = {"set-header": "set", "add-header": "add", "del-header": "delete"}.get(w[0])
    if verb is None:
        return None
    if verb == "delete":
        return {"delete": [w[1]]} if len(w) == 2 else None
    if len(w) != 3 or "%" in w[2] or "'" in w[2] or not re.fullmatch(r"[\x20-\x7e]*", w[2]):
        return None
    return {verb: {w[1]: w[2]}}


# --- stats, userlists, resolvers, http-errors ------------------------------------------


def stats_page(
    proxy: Proxy, ctx: Context, userlists: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """A listen/frontend that only serves HAProxy's stats page, as the model's stats page."""
    page: dict[str, Any] = {}
    users: list[dict[str, str]] = []
    bind: tuple[str, int] | None = None
    realm: Line | None = None
    exporters: list[Line] = []
    display: list[Line] = []
    for line in proxy.lines:
        w = line.words
        if w[0] == "bind" and len(w) == 2 and bind is None:
            bind = _address_port(w[1])
        elif w[:3] == ["http-request", "use-service", "prometheus-exporter"]:
            exporters.append(line)
        elif w[:2] in _STATS_DISPLAY:
            display.append(line)
        elif (
            w == ["stats", "enable"] or w == ["mode", "http"] or w[:2] == ["stats", "hide-version"]
        ):
            pass
        elif w[:2] == ["stats", "realm"]:
            realm = line
        elif w[:2] == ["stats", "uri"] and len(w) == 3:
            page["uri"] = w[2]
        elif w[:2] == ["stats", "refresh"] and len(w) == 3 and duration(w[2]):
            page["refresh"] = duration(w[2])
        elif w[:2] == ["stats", "auth"] and len(w) == 3 and ":" in w[2]:
            user, _, password = w[2].partition(":")
            users.append({"name": user, "password": hash_password(password)})
        elif w == ["stats", "admin", "if", "TRUE"]:
            page["admin"] = True
        elif stats_login(w) and "userlist" not in page:
            page["userlist"] = ctx.names.name("userlist", stats_login(w) or "")
        else:
            return None
    # `stats uri` alone turns the page on, as `stats enable` does.
    if bind is None or not any(ln.words[:2] in _STATS_ON for ln in proxy.lines):
        return None
    pair, vip = _pair_of(bind[0], ctx.pairs)
    # `listen stats:NAME` is how lbctl names its own stats pages.
    own_name = proxy.name.removeprefix("stats:") or proxy.name
    page.update({"name": ctx.names.name("stats_page", own_name, proxy.where)})
    page["vip_pair"] = pair["name"]
    page["port"] = bind[1]
    if vip:
        page["vip"] = vip
    elif bind[0] != "*":
        return None
    if users and "userlist" in page:
        return None  # two logins: the model asks one user list
    if users:
        listname = ctx.names.name("userlist", f"{page['name']}-users")
        userlists.append({"name": listname, "users": users})
        page["userlist"] = listname
        ctx.report.add(
            "differs",
            proxy.where,
            f"listen {proxy.name}",
            f"the model asks for the password on every path of port {bind[1]}, the original "
            f"only on {page.get('uri', '/stats')} (other paths answered 503, now 401)",
        )
        for line in proxy.lines:
            if line.words[:2] == ["stats", "auth"]:
                ctx.report.add(
                    "translated",
                    line.where,
                    "stats auth <user>:<password>",
                    f"the password is hashed in userlist {listname}",
                )
    if bind[0] == "*":
        ctx.report.add(
            "translated",
            proxy.where,
            f"listen {proxy.name}",
            "the stats page listens on the pair's VIP, not every address",
        )
    if realm is not None:
        ctx.report.add("dropped", realm.where, realm.raw, "the login prompt's text is lbctl's")
    for line in display:
        ctx.report.add("dropped", line.where, line.raw, "the page shows what lbctl's shows")
    for line in exporters:
        ctx.report.add(
            "dropped",
            line.where,
            line.raw,
            "lbctl serves the Prometheus exporter itself, at /metrics on "
            "settings.admin_address:settings.metrics_port, not on this page's port",
        )
    ctx.report.native(len(proxy.lines) - (realm is not None) - len(exporters) - len(display))
    return page


_STATS_ON = (["stats", "enable"], ["stats", "uri"])
# What a stats page shows besides the proxies: the model's page has no field for these.
_STATS_DISPLAY = (
    ["stats", "show-modules"],
    ["stats", "show-legends"],
    ["stats", "show-node"],
    ["stats", "show-desc"],
)


def hash_password(password: str) -> str:
    """SHA-512 crypt of a plaintext password a config held (`insecure-password`, `stats auth`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # the standard library's crypt(3) until Python 3.13

    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))


def map_userlist(section: Section, ctx: Context) -> dict[str, Any]:
    users = []
    for line in section.lines:
        w = line.words
        if w[0] == "user" and len(w) >= 4 and w[2] in ("password", "insecure-password"):
            password = w[3]
            if w[2] == "insecure-password":
                password = hash_password(password)
                ctx.report.add(
                    "translated",
                    line.where,
                    f"user {w[1]} insecure-password ...",
                    "the password is hashed (SHA-512)",
                )
            elif problem := password_hash_problem(password):
                # HAProxy takes any string crypt() reads; the model only strong hashes, and
                # only the operator can make one (the password is not in the file).
                raise ImportRefused(
                    f"{line.where}: user {w[1]} in userlist {section.name}: the password {problem}"
                    "; put the new hash in the original and import again"
                )
            else:
                ctx.report.native()
            users.append({"name": w[1], "password": password})
        else:
            ctx.report.add("dropped", line.where, line.raw, "user lists hold users only")
    return {"name": ctx.names.name("userlist", section.name, section.where), "users": users}


def map_resolvers(section: Section, ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {"name": ctx.names.name("resolvers", section.name, section.where)}
    servers = []
    for line in section.lines:
        w = line.words
        if w[0] == "nameserver" and len(w) == 3 and _address_port(w[2]):
            address, port = _address_port(w[2]) or ("", 53)
            servers.append({"address": address, "port": port})
        elif w == ["parse-resolv-conf"]:
            out["parse_resolv_conf"] = True
        elif w[0] == "resolve_retries" and len(w) == 2 and w[1].isdigit():
            out["resolve_retries"] = int(w[1])
        elif w[0] == "accepted_payload_size" and len(w) == 2 and w[1].isdigit():
            out["accepted_payload_size"] = int(w[1])
        elif w[0] == "timeout" and len(w) == 3 and w[1] in ("resolve", "retry") and duration(w[2]):
            out.setdefault("timeouts", {})[w[1]] = duration(w[2])
        elif w[0] == "hold" and len(w) == 3 and duration(w[2]):
            out.setdefault("hold", {})[w[1]] = duration(w[2])
        else:
            ctx.report.add("dropped", line.where, line.raw, "no resolvers field says this")
            continue
        ctx.report.native()
    out["nameservers"] = servers
    return out


def map_http_errors(section: Section, ctx: Context) -> list[str]:
    pages = []
    for line in section.lines:
        w = line.words
        if w[0] == "errorfile" and len(w) == 3 and w[1].isdigit():
            page = ctx.declare("error_page", w[2], line.where, int(w[1]))
            if page:
                pages.append(page)
                ctx.report.native()
        else:
            ctx.report.add("dropped", line.where, line.raw, "http-errors holds errorfile lines")
    return pages


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
