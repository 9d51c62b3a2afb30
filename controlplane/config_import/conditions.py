"""ACLs and `if`/`unless` conditions turned into a rule's `when`, `when_any` and `unless`.

A named ACL defined on several lines, or with several values, holds when any of them does.
A condition is terms joined by `||`, each term ACLs (named, or anonymous `{ ... }`) that
must all hold, `!` negating one. What the model's tests can say is mapped; anything else
(an unknown fetch, a flag the model does not have) returns None and the caller keeps the
lines verbatim.
"""

from __future__ import annotations

from typing import Any

from .host_header import host_header_tests

Test = dict[str, Any]  # one Match: {"host": "a.example.com"}
# An ACL: the alternatives it holds for, each one Match.
Alternatives = list[Test]

_HOST_FETCHES = {"hdr(host)", "req.hdr(host)", "hdr(Host)", "req.hdr(Host)"}
# The Host fetch lbctl renders (lower case, no port): importing its own configs back.
_LBCTL_HOST = {"req.hdr(host),field(1,:),lower"}
_LIST_FIELDS = {"method", "source", "dst_port"}


def acl_tests(words: list[str]) -> Alternatives | None:
    """Return the alternatives of one ACL criterion (`path_beg /a /b`), or None."""
    if not words:
        return None
    fetch, rest = words[0], words[1:]
    flags: list[str] = []
    while rest and rest[0].startswith("-") and rest[0] != "--":
        flag = rest.pop(0)
        if flag == "-m" and rest:
            flags.append("-m " + rest.pop(0))
        else:
            flags.append(flag)
    if rest and rest[0] == "--":
        rest = rest[1:]
    values = rest
    if fetch in _LBCTL_HOST and flags == ["-m str"] and len(values) == 1:
        return [{"host": values[0]}]
    if fetch in _LBCTL_HOST and flags == ["-m end"] and len(values) == 1 and values[0][:1] == ".":
        return [{"host": "*" + values[0]}]
    if fetch in _HOST_FETCHES and set(flags) <= {"-i", "-m str"} and values:
        # The whole header, port and all: the model's `host` test would drop the port.
        return host_header_tests(values, "-i" in flags)
    simple = {"path": "path", "path_beg": "path_begins", "path_end": "path_ends"}
    if fetch in simple and not flags and values:
        return [{simple[fetch]: v} for v in values]
    if fetch == "path" and flags in (["-m beg"], ["-m end"]) and values:
        key = "path_begins" if flags == ["-m beg"] else "path_ends"
        return [{key: v} for v in values]
    if fetch in ("path_reg", "path_regex") and not flags and values:
        return [{"path_regex": v} for v in values]
    if fetch == "method" and not flags and values and all(v.isupper() for v in values):
        return [{"method": values}]
    if (
        fetch == "src"
        and not flags
        and values
        and all("/" in v or "." in v or ":" in v for v in values)
    ):
        return [{"source": values}]
    if fetch == "dst_port" and not flags and values and all(v.isdigit() for v in values):
        return [{"dst_port": [int(v) for v in values]}]
    if fetch == "ssl_fc" and not values and not flags:
        return [{"tls": True}]
    # Only the SNI of TLS HAProxy ends: `req.ssl_sni` reads a passed-through ClientHello,
    # which the model's `sni` test (rendered `ssl_fc_sni`) does not.
    if fetch == "ssl_fc_sni" and set(flags) <= {"-i"} and values:
        return [{"sni": v.lower()} for v in values]
    header = _inside(fetch, ("hdr(", "req.hdr(", "req.fhdr("))
    if header and header.lower() != "host":
        if flags == ["-m found"] and not values:
            return [{"header": {"name": header}}]
        if not flags and values:
            return [{"header": {"name": header, "equals": v}} for v in values]
    header = _inside(fetch, ("hdr_reg(",))
    if header and not flags and values:
        return [{"header": {"name": header, "matches": v}} for v in values]
    for prefixes, key in ((("url_param(", "urlp("), "query"), (("req.cook(", "cook("), "cookie")):
        param = _inside(fetch, prefixes)
        if param:
            if flags == ["-m found"] and not values:
                return [{key: {"name": param}}]
            if not flags and values:
                return [{key: {"name": param, "equals": v}} for v in values]
    return None


def _inside(fetch: str, prefixes: tuple[str, ...]) -> str | None:
    for prefix in prefixes:
        if fetch.startswith(prefix) and fetch.endswith(")") and "," not in fetch:
            return fetch[len(prefix) : -1] or None
    return None


def split_condition(words: list[str]) -> tuple[list[str], list[str]] | None:
    """Split `... if COND` / `... unless COND` into (action words, ['if'|'unless', ...])."""
    for i, word in enumerate(words):
        if word in ("if", "unless"):
            return words[:i], words[i:]
    return words, []


def acl_names_used(words: list[str]) -> set[str]:
    """Return the named ACLs a line's condition uses (`if a !b || { ... }` -> {a, b})."""
    _action, condition = split_condition(words) or ([], [])
    names: set[str] = set()
    depth = 0
    for word in condition[1:]:
        depth += word.count("{") - word.count("}")
        name = word.lstrip("!")
        if depth == 0 and name and name not in ("||", "or", "}") and "{" not in word:
            names.add(name)
    return names - PREDEFINED_ACLS


# The ACLs HAProxy defines itself: no line of a config needs to.
PREDEFINED_ACLS = frozenset(
    {
        "FALSE",
        "HTTP",
        "HTTP_1.0",
        "HTTP_1.1",
        "HTTP_2.0",
        "HTTP_3.0",
        "HTTP_CONTENT",
        "HTTP_URL_ABS",
        "HTTP_URL_SLASH",
        "HTTP_URL_STAR",
        "LOCALHOST",
        "METH_CONNECT",
        "METH_DELETE",
        "METH_GET",
        "METH_HEAD",
        "METH_OPTIONS",
        "METH_POST",
        "METH_PUT",
        "METH_TRACE",
        "RDP_COOKIE",
        "REQ_CONTENT",
        "TRUE",
        "WAIT_END",
    }
)


def _terms(words: list[str]) -> list[list[tuple[bool, Alternatives | None, str]]] | None:
    """Return OR-terms of (negated, alternatives, text) from condition words."""
    terms: list[list[tuple[bool, Alternatives | None, str]]] = [[]]
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("||", "or"):
            terms.append([])
            i += 1
            continue
        negated = False
        if word.startswith("!"):
            negated, word = True, word[1:]
            if not word:
                i += 1
                word = words[i] if i < len(words) else ""
        if word == "{":
            end = words.index("}", i) if "}" in words[i:] else -1
            if end < 0:
                return None
            inner = words[i + 1 : end]
            terms[-1].append((negated, acl_tests(inner), "{ " + " ".join(inner) + " }"))
            i = end + 1
            continue
        terms[-1].append((negated, None, word))
        i += 1
    return terms


def rule_condition(cond: list[str], acls: dict[str, Alternatives | None]) -> dict[str, Any] | None:
    """Return a rule's `when`/`when_any`/`unless` for `if ...`/`unless ...`, or None.

    `acls` maps each named ACL to its alternatives (None: not expressible).
    """
    if not cond:
        return {}
    keyword, words = cond[0], cond[1:]
    terms = _terms(words)
    if terms is None or any(not t for t in terms):
        return None
    resolved: list[list[tuple[bool, Alternatives]]] = []
    for term in terms:
        out: list[tuple[bool, Alternatives]] = []
        for negated, alts, text in term:
            if alts is None:
                alts = acls.get(text)
            if alts is None:
                return None
            alts = _segment_prefix(alts)
            out.append((negated, alts))
        resolved.append(out)
    if keyword == "unless":
        # unless A B  ==  if !A || !B ; only the one-term, all-positive form maps: unless A.
        if len(resolved) == 1 and all(not neg for neg, _ in resolved[0]):
            merged = _all_of([alts for _, alts in resolved[0]])
            if merged is not None and len(merged) == 1:
                return {"unless": merged[0]}
            if merged is not None and len(resolved[0]) == 1:
                # unless (A1 or A2) == none of them: unless holds every test negated.
                return _none_of(merged)
        return None
    if len(resolved) == 1:
        positive = [alts for neg, alts in resolved[0] if not neg]
        negative = [alts for neg, alts in resolved[0] if neg]
        out_rule: dict[str, Any] = {}
        if positive:
            merged = _all_of(positive)
            if merged is None:
                return None
            if len(merged) == 1:
                out_rule["when"] = merged[0]
            else:
                out_rule["when_any"] = merged
        if negative:
            none = _none_of([a for alts in negative for a in alts])
            if none is None:
                return None
            out_rule.update(none)
        return out_rule
    # A || B || C: each term all positive, one alternative after merging.
    any_of: list[Test] = []
    for group in resolved:
        if any(neg for neg, _ in group):
            return None
        merged = _all_of([alts for _, alts in group])
        if merged is None:
            return None
        any_of.extend(merged)
    return {"when_any": any_of}


def _segment_prefix(alts: Alternatives) -> Alternatives:
    """`path /api` or `path_beg /api/`: whole segments, the model's path_prefix."""
    if len(alts) == 2:
        exact, begins = alts[0].get("path"), alts[1].get("path_begins")
        if len(alts[0]) == len(alts[1]) == 1 and exact and begins == exact + "/":
            return [{"path_prefix": exact}]
    return alts


def _all_of(acls: list[Alternatives]) -> list[Test] | None:
    """AND of ACLs: one ACL with alternatives may stay OR; the rest must merge into one Match."""
    multi = [a for a in acls if len(a) > 1]
    if len(multi) > 1:
        return None
    base: Test = {}
    for alts in acls:
        if len(alts) == 1 and not _merge(base, alts[0]):
            return None
    if not multi:
        return [base]
    out = []
    for alt in multi[0]:
        combined = dict(base)
        if not _merge(combined, alt):
            return None
        out.append(combined)
    return out


def _merge(into: Test, test: Test) -> bool:
    for key, value in test.items():
        if key in into and into[key] != value:
            return False
        into[key] = value
    return True


def _none_of(alts: list[Test]) -> dict[str, Any] | None:
    """`!A !B` (and `unless A||B`): none may hold, as one `unless` Match of single tests."""
    unless: Test = {}
    for test in alts:
        if len(test) != 1:
            return None  # none of (a and b) is not none of a, none of b
        key, value = next(iter(test.items()))
        if key in unless:
            if key in _LIST_FIELDS:
                unless[key] = unless[key] + value
                continue
            return None
        unless[key] = value
    return {"unless": unless}
