"""What haproxy.cfg prints for user lists, the stats page, logging and proxy options.

Decisions are made here in plain Python; `haproxy.py` puts the results in its contexts
and the template only prints them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from dataclasses import dataclass

from ..model import Frontend, LbModel, Settings
from ..model.logs import LogTarget
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
            f"{page.vip or first_vip[page.vip_pair]}:{page.port}",
            _stats_lines(page),
        )
        for page in model.stats_pages
        if page.vip_pair in pairs
    ]


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
