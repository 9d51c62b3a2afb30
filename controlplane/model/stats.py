"""Stats pages: HAProxy's HTML statistics page on a VIP, opt-in, behind a user list.

lbctl's own `lbctl:metrics` listener already serves /stats on the loopback admin address
for the control plane; a stats page here is for people, on a VIP pair's address. Admin
actions (set a server to drain or maintenance from the page) are off unless asked for:
they change servers behind the model's back, which drift reports then disagree with.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from ..errors import FieldError
from .base import Port, Strict
from .duplicates import duplicate_errors
from .references import unknown_reference
from .types import Duration, Name, UriPath, VipAddress

if TYPE_CHECKING:
    from .schema import LbModel

MAX_STATS_PAGES = 1_000


class StatsPage(Strict):
    name: Name
    vip_pair: Name
    vip: VipAddress | None = Field(None, description="defaults to the pair's first vip")
    port: Port
    uri: UriPath = "/stats"
    userlist: Name | None = Field(
        None, description="users who may see the page; none means anyone who reaches it"
    )
    refresh: Duration | None = Field(None, description="how often the page reloads itself")
    admin: bool = Field(
        False, description="let the page's users drain and disable servers (needs userlist)"
    )


def stats_section_name(page: StatsPage) -> str:
    # ':' cannot appear in model names, so this never clashes with a user's section.
    return f"stats:{page.name}"


def stats_page_errors(model: LbModel, bound: dict[tuple[str, int], str]) -> Iterator[FieldError]:
    """Yield errors of the stats pages; `bound` maps (address, port) to what binds it."""
    pairs = {p.name: p for p in model.vip_pairs}
    userlists = dict.fromkeys(u.name for u in model.userlists)
    yield from duplicate_errors("stats_pages", model.stats_pages)
    for page in model.stats_pages:
        path = f"stats_pages[{page.name}]"
        if page.userlist is not None and page.userlist not in userlists:
            yield unknown_reference(f"{path}.userlist", "userlist", page.userlist, userlists)
        if page.admin and page.userlist is None:
            yield FieldError(
                f"{path}.admin", "admin actions need a userlist: anyone could disable servers"
            )
        pair = pairs.get(page.vip_pair)
        if pair is None:
            yield unknown_reference(f"{path}.vip_pair", "vip_pair", page.vip_pair, pairs)
            continue
        addresses = [str(ipaddress.ip_interface(v).ip) for v in pair.vips]
        if page.vip is not None and page.vip not in addresses:
            yield FieldError(
                f"{path}.vip",
                f"{page.vip} is not a VIP of vip_pairs[{pair.name}] ({', '.join(addresses)})",
            )
        key = (page.vip or addresses[0], page.port)
        # A bind on every address ('*' IPv4, '::' both families) takes the port on the VIP too.
        taken = [k for k in (key, ("*", page.port), ("::", page.port)) if k in bound]
        if taken:
            yield FieldError(
                f"{path}.port", f"{key[0]}:{key[1]} is already bound by {bound[taken[0]]}"
            )
        bound.setdefault(key, f"stats_pages[{page.name}]")


def stats_page_warnings(model: LbModel) -> Iterator[FieldError]:
    for page in model.stats_pages:
        if page.userlist is None:
            yield FieldError(
                f"stats_pages[{page.name}].userlist",
                "no userlist: anyone who reaches the VIP sees every pool and server",
            )
