"""What haproxy.cfg prints for user lists, the stats page, logging and proxy options.

Decisions are made here in plain Python; `haproxy.py` puts the results in its contexts
and the template only prints them.
"""

from __future__ import annotations

import ipaddress
import operator
from collections.abc import Collection
from dataclasses import dataclass

from ..model import Frontend, HealthCheck, LbModel, Pool, Server, Settings
from ..model.logs import LogTarget
from ..model.proxies import FrontendTimeouts, PoolTimeouts, ServerDefaults
from ..model.stats import StatsPage, stats_section_name


@dataclass(frozen=True)
class UserlistContext:
    name: str
    users: list[str]  # "NAME password HASH", one `user` line each


def userlists(model: LbModel) -> list[UserlistContext]:
    """Return every user list; each host prints them all (they are small and shared)."""
    return [
        UserlistContext(u.name, [f"{user.name} password {user.password}" for user in u.users])
        for u in model.userlists
    ]


@dataclass(frozen=True)
class StatsPageContext:
    name: str
    bind: str
    lines: list[str]


def stats_pages(model: LbModel, pairs: Collection[str]) -> list[StatsPageContext]:
    """Return the stats pages of the VIP pairs in `pairs`, each a `listen` section."""
    first_vip = {p.name: str(ipaddress.ip_interface(p.vips[0]).ip) for p in model.vip_pairs}
    return [
        StatsPageContext(
            stats_section_name(page),
            _endpoint(page.vip or first_vip[page.vip_pair], page.port),
            _stats_lines(page),
        )
        for page in model.stats_pages
        if page.vip_pair in pairs
    ]


def _endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"  # IPv6 VIPs


def _stats_lines(page: StatsPage) -> list[str]:
    lines = ["mode http", "stats enable", f"stats uri {page.uri}", "stats hide-version"]
    if page.refresh:
        lines.append(f"stats refresh {page.refresh}")
    if page.userlist:
        lines.append(f"http-request auth unless {{ http_auth({page.userlist}) }}")
        if page.admin:
            lines.append("stats admin if TRUE")
    return lines


def global_log_lines(settings: Settings) -> list[str]:
    """Return the global `log` lines: the model's targets, else the one v1 always printed."""
    if not settings.log_targets:
        return [f"log {settings.log_target} local0"]
    return [_log_line(t) for t in settings.log_targets]


def _log_line(target: LogTarget) -> str:
    words = ["log", target.address]
    if target.format:
        words += ["format", target.format]
    words.append(target.facility)
    if target.level:
        words.append(target.level)
    return " ".join(words)


def log_format_lines(fe: Frontend) -> list[str]:
    """Return the frontend's log format line: `option httplog` / `tcplog` unless told."""
    logging = fe.logging
    if logging is not None and not logging.enabled:
        return []  # HAProxy warns of a format for a proxy that does not log
    if logging is not None and logging.custom_format is not None:
        return [f"log-format '{logging.custom_format}'"]
    named = logging.format if logging is not None and logging.format else fe.mode
    return [{"http": "option httplog", "https": "option httpslog", "tcp": "option tcplog"}[named]]


def frontend_log_lines(fe: Frontend) -> list[str]:
    """Return the frontend's other logging lines: targets, null connections, request id."""
    logging = fe.logging
    if logging is None:
        return []
    lines: list[str] = []
    if not logging.enabled:
        lines.append("no log")
    elif logging.targets:
        # A proxy's own `log` lines add to the ones it inherits: `no log` drops those first.
        lines += ["no log", *(_log_line(t) for t in logging.targets)]
    if logging.log_empty_connections:
        lines.append("no option dontlognull")
    if logging.request_id is not None:
        lines.append(f"unique-id-format '{logging.request_id.format}'")
        lines.append(f"unique-id-header {logging.request_id.header}")
    return lines


def frontend_timeout_lines(fe: Frontend) -> list[str]:
    """Return the frontend's own `timeout` lines (after settings.timeouts in defaults)."""
    return _timeout_lines(fe.timeouts)


def pool_timeout_lines(pool: Pool) -> list[str]:
    """Return the pool's own `timeout` lines (after settings.timeouts in defaults)."""
    return _timeout_lines(pool.timeouts)


def _timeout_lines(timeouts: FrontendTimeouts | PoolTimeouts | None) -> list[str]:
    if timeouts is None:
        return []
    values = timeouts.model_dump(exclude_none=True)
    return [f"timeout {name.replace('_', '-')} {value}" for name, value in values.items()]


def health_check_lines(check: HealthCheck | None) -> list[str]:
    """Return what a check sends and expects beyond v1's http status (none at defaults)."""
    if check is None:
        return []
    expects = []
    if check.expect_string is not None:
        expects.append(f"expect string '{check.expect_string}'")
    if check.expect_regex is not None:
        expects.append(f"expect rstring '{check.expect_regex}'")
    if check.type == "http":
        return [f"http-check {e}" for e in expects]
    if check.send is None and not expects:
        return []  # a plain connect check, as in v1
    lines = ["option tcp-check"]
    if check.send is not None:
        lines.append(f"tcp-check send {_double_quoted(check.send)}")
    return lines + [f"tcp-check {e}" for e in expects]


def default_server_line(pool: Pool, check: HealthCheck | None) -> str:
    """Return the pool's `default-server` options: the check's, the pool's own replacing them."""
    words: dict[str, str] = {}
    if check:
        words |= {"inter": check.interval, "rise": str(check.rise), "fall": str(check.fall)}
        if check.port:
            words["port"] = str(check.port)
        if check.agent:
            words |= {"agent-check": "", "agent-port": str(check.agent.port)}
            words["agent-inter"] = check.agent.interval
            if check.agent.send is not None:
                words["agent-send"] = _double_quoted(check.agent.send)
    if pool.default_server is not None:
        words |= _option_words(pool.default_server)
    return _joined(words)


def server_option_words(server: Server, pool: Pool) -> str:
    """Return the server's own options, to append to its `server` line ("" at defaults)."""
    if not any(_SERVER_OPTIONS(server)):
        return ""  # most servers: no dict to build (see _SERVER_OPTIONS)
    words = _option_words(server)
    pooled = pool.default_server.send_proxy if pool.default_server else None
    if server.send_proxy and pooled and server.send_proxy != pooled:
        # A server's send-proxy adds to default-server's send-proxy-v2 (measured: v2 won),
        # so the pool's version is switched off first.
        words = {f"no-send-proxy{_PROXY_SUFFIX[pooled]}": ""} | words
    return " " + _joined(words) if words else ""


_PROXY_SUFFIX = {"v1": "", "v2": "-v2"}


# The Server fields `_option_words` reads (send_proxy also decides `no-send-proxy`): when
# none is set, a server's line gets no words. Checking them first took render/haproxy.py's
# `_servers` from 75 to 47 ms for 50,000 servers (best of 9, same machine, same load).
_SERVER_OPTIONS = operator.attrgetter("check_interval", "rise", "fall", "slow_start", "send_proxy")


def _option_words(options: Server | ServerDefaults) -> dict[str, str]:
    words = {}
    if options.check_interval:
        words["inter"] = options.check_interval
    if options.rise:
        words["rise"] = str(options.rise)
    if options.fall:
        words["fall"] = str(options.fall)
    if options.slow_start:
        words["slowstart"] = options.slow_start
    if options.send_proxy:
        words[f"send-proxy{_PROXY_SUFFIX[options.send_proxy]}"] = ""
    if isinstance(options, ServerDefaults):
        if options.maxconn:
            words["maxconn"] = str(options.maxconn)
        if options.maxqueue:
            words["maxqueue"] = str(options.maxqueue)
    return words


def _joined(words: dict[str, str]) -> str:
    return " ".join(f"{key} {value}" if value else key for key, value in words.items())


def _double_quoted(text: str) -> str:
    """Return `text` in double quotes (the model refuses '"', '$' and stray '\\' in it).

    HAProxy reads the \\r, \\n and \\t escapes the text may hold inside double quotes.
    """
    return f'"{text}"'


def tuning_lines(settings: Settings) -> list[str]:
    """Return `nbthread` and the `tune.*` lines of the global section (none at defaults)."""
    lines = [f"nbthread {settings.nbthread}"] if settings.nbthread else []
    if settings.tune is not None:
        for name, value in settings.tune.model_dump(exclude_none=True).items():
            lines.append(f"tune.{_TUNE_KEYWORDS.get(name, name)} {value}")
    return lines


_TUNE_KEYWORDS = {
    "http_maxhdr": "http.maxhdr",
    "ssl_default_dh_param": "ssl.default-dh-param",
    "ssl_cachesize": "ssl.cachesize",
    "ssl_lifetime": "ssl.lifetime",
    "h2_max_concurrent_streams": "h2.max-concurrent-streams",
}


def compression_lines(fe: Frontend) -> list[str]:
    compression = fe.compression
    if compression is None:
        return []
    return [
        f"compression algo {' '.join(compression.algorithms)}",
        f"compression type {' '.join(compression.types)}",
    ]


# What part of the model a rendered proxy line comes from, for the change plan's words.
_LINE_PARTS = (
    (("log ", "no log", "log-format ", "unique-id-", "no option dontlognull"), "logging"),
    (("option httplog", "option httpslog", "option tcplog"), "logging"),
    (("timeout ",), "timeouts"),
    (("compression ",), "compression"),
    (("option httpchk", "http-check ", "option tcp-check", "tcp-check "), "health check"),
    (("default-server ",), "server defaults"),
)


def proxy_line_part(line: str) -> str | None:
    """Return which of this module's fields a frontend or backend line comes from, if any."""
    return next((part for starts, part in _LINE_PARTS if line.startswith(starts)), None)
