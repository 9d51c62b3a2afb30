"""A pool's `stick-table type ip ... expire 30m` + `stick on src` -> `sticky: source`.

The model's source stickiness is that table (1m entries, 30 minutes) shared between the
pair's hosts through lbctl's own peers section, so a client keeps its server across a
failover. A pool with exactly these two lines gets it natively -- the table's `peers`
becomes lbctl's own (translated), another size is translated and reported; any other
table (another key type or expiry, more stick rules) stays verbatim in `extra`.
"""

from __future__ import annotations

from typing import Any

from .haproxy_reader import Line

_SIZE = "1m"
_EXPIRE = "30m"


def sticky_source(pool: dict[str, Any], lines: list[Line], ctx: Any) -> list[Line]:
    """Set `sticky: source` when `lines` hold lbctl's source table; return the rest."""
    tables = [ln for ln in lines if ln.keyword == "stick-table"]
    rules = [ln for ln in lines if ln.keyword == "stick" or ln.keyword.startswith("stick-")]
    rules = [ln for ln in rules if ln.keyword != "stick-table"]
    if len(tables) != 1 or [r.words for r in rules] != [["stick", "on", "src"]]:
        return lines
    options = _table_options(tables[0].words[1:])
    if options is None or options.get("type") != "ip" or options.get("expire") != _EXPIRE:
        return lines
    if "sticky" in pool:
        return lines  # cookie stickiness already: the model has one kind per pool
    pool["sticky"] = "source"
    table = tables[0]
    if "peers" in options:
        ctx.report.add("translated", table.where, table.raw, "its peers are lbctl's own")
    if options.get("size") != _SIZE:
        ctx.report.add(
            "translated", table.where, table.raw, f"the model's table holds {_SIZE} entries"
        )
    ctx.report.native(2)
    return [ln for ln in lines if ln is not table and ln is not rules[0]]


def _table_options(words: list[str]) -> dict[str, str] | None:
    """`type ip size 1m expire 30m peers X` -> its options; None for a keyword it does not
    know (`store`, `nopurge`, `srvkey`...)."""
    if len(words) % 2:
        return None
    options = dict(zip(words[::2], words[1::2], strict=True))
    if set(options) - {"type", "size", "expire", "peers"}:
        return None
    return options
