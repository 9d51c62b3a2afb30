"""What haproxy.cfg prints for user lists, the stats page, logging and proxy options.

Decisions are made here in plain Python; `haproxy.py` puts the results in its contexts
and the template only prints them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from dataclasses import dataclass

from ..model import LbModel
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
