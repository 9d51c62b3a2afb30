"""Several hosts' haproxy.cfg as one: the union the import maps, and each host's share.

Hosts in different VIP pairs run different frontends: with lb1+lb2 in pair edge and
lb3+lb2 in pair internal, lb1 has `frontend web`, lb3 has `frontend api`, lb2 has both.
The import maps the union: the preferred master's sections, then each section another host
adds, placed after the section it follows there (so it stays under the same `defaults`).

What the model renders on a host is its share of the union: the frontends of the pairs it
is in, the backends those use, and every other section. Where a host's own haproxy.cfg
differs from its share, the report says so, line by line: the model follows the union.
`peers` sections are left out of the comparison: lbctl renders its own.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from .haproxy_reader import Section
from .names import Names
from .report import Report, Where

_Key = tuple[str, str, int]  # keyword, name, occurrence (several anonymous `defaults`)
_PROXIES = ("frontend", "listen")


def _keys(sections: list[Section]) -> list[_Key]:
    seen: dict[tuple[str, str], int] = {}
    keys = []
    for s in sections:
        n = seen.get((s.keyword, s.name), 0)
        seen[(s.keyword, s.name)] = n + 1
        keys.append((s.keyword, s.name, n))
    return keys


def union(main: list[Section], others: list[list[Section]]) -> list[Section]:
    """Return main's sections with those only the other hosts have, each after its
    predecessor on the host that has it."""
    merged = list(main)
    for sections in others:
        keys = _keys(merged)
        previous: _Key | None = None
        for key, section in zip(_keys(sections), sections, strict=True):
            if key not in keys:
                at = keys.index(previous) + 1 if previous is not None else 0
                merged.insert(at, section)
                keys.insert(at, key)
            previous = key
    return merged


def share(
    sections: list[Section], host: str, hosts_of: Callable[[Section], set[str]]
) -> list[Section]:
    """Return the sections the model renders for `host`: `hosts_of(frontend)` says which
    hosts run a frontend or listen; a backend goes where a frontend that uses it goes."""
    kept = [s for s in sections if s.keyword not in _PROXIES or host in hosts_of(s)]
    used_anywhere = _used_backends(sections)
    used_here = _used_backends(kept)
    return [
        s
        for s in kept
        if s.keyword != "backend"
        or s.name in used_here
        or "" in used_here  # a name computed here may be any backend's: all are rendered
        or (s.name not in used_anywhere and "" not in used_anywhere)
    ]


def frontend_hosts(
    model: Mapping[str, Any], names: Names, everywhere: set[str]
) -> Callable[[Section], set[str]]:
    """Return hosts_of for `share`: the hosts of the pair each imported frontend or stats
    page is on; a section that became neither (lbctl's own) is on every host."""
    pair_hosts = {p["name"]: set(p["hosts"]) for p in model.get("vip_pairs", [])}
    pair_of = {
        (kind, entry["name"]): entry.get("vip_pair")
        for kind, key in (("frontend", "frontends"), ("stats_page", "stats_pages"))
        for entry in model.get(key, [])
    }

    def hosts_of(section: Section) -> set[str]:
        for kind, original in (
            ("frontend", section.name),
            # `listen stats:NAME` is how lbctl names its own stats pages.
            ("stats_page", section.name.removeprefix("stats:") or section.name),
        ):
            name = names.known(kind, original)
            pair = pair_of.get((kind, name)) if name is not None else None
            if pair is not None:
                return pair_hosts.get(pair, everywhere)
        return everywhere

    return hosts_of


def _used_backends(sections: list[Section]) -> set[str]:
    """Backends named by default_backend/use_backend ("" when a name is computed)."""
    used = set()
    for s in sections:
        if s.keyword == "listen":
            used.add(s.name)
        for line in s.lines:
            if line.keyword in ("default_backend", "use_backend") and len(line.words) > 1:
                name = line.words[1]
                used.add("" if "%[" in name else name)
    return used


def report_differences(
    hosts: Mapping[str, list[Section]],
    shares: Mapping[str, list[Section]],
    report: Report,
) -> None:
    """Report, per host, the lines of its own haproxy.cfg and of its share that differ."""
    for host, own in hosts.items():
        share = shares[host]
        if len(share) == len(own) and all(a is b for a, b in zip(share, own, strict=True)):
            continue  # its share is its own file (the preferred master's, mostly)
        expected = _normalized(share)
        actual = _normalized(own)
        a, b = [t for t, _, _ in expected], [t for t, _, _ in actual]
        if a == b:
            continue  # the common case: both hosts run the same file
        sources = {head: where.file for head, where, _ in expected if " | " not in head}
        file = own[0].where.file if own else f"{host}/haproxy.cfg"
        matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            for text, where, head in actual[j1:j2]:
                source = sources.get(head)
                note = (
                    f"not in {source}: the model follows it"
                    if source is not None
                    else f"the model does not render this section on {host}"
                )
                report.add("differs", where, text.split(" | ")[-1], note)
            for text, where, _ in expected[i1:i2]:
                report.add("differs", where, text.split(" | ")[-1], f"not in {file}")


def _normalized(sections: list[Section]) -> list[tuple[str, Where, str]]:
    out = []
    for s in sections:
        if s.keyword == "peers":
            continue
        head = " ".join([s.keyword, s.name, *s.args]).strip()
        out.append((head, s.where, head))
        out.extend(
            (f"{head} | {' '.join(ln.words)}", ln.where, head)
            for ln in s.lines
            if ln.keyword != "localpeer"
        )
    return out
