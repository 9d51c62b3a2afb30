"""`http-request auth` with a user list -> the model's `basic_auth` rule and stats page login.

lbctl renders a rule's basic auth as `http-request auth realm 'R' if COND !NAME_auth_ok`
(each OR-term of COND gets the negated `http_auth(LIST)` ACL) and a stats page's login as
`http-request auth unless { http_auth(LIST) }`. A hand-written `http-request auth [realm R]
unless ok` or `... if COND !ok` says the same when `ok` tests only `http_auth(LIST)`; any
other use of it (a group, a second list, a term without it) has no model form and the
caller keeps the lines verbatim. Without `realm`, HAProxy announces the proxy's name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .haproxy_reader import Line

Condition = Callable[[list[str]], dict[str, Any] | None]


def auth_acls(acl_lines: list[Line]) -> dict[str, str]:
    """Return ACL name -> user list, for the ACLs that test `http_auth(LIST)` and nothing else."""
    lists: dict[str, set[str]] = {}
    for line in acl_lines:
        w = line.words
        lists.setdefault(w[1], set()).add(_userlist(w[2:]) or "")
    return {
        name: next(iter(found))
        for name, found in lists.items()
        if len(found) == 1 and "" not in found
    }


def _userlist(words: list[str]) -> str | None:
    if len(words) == 1 and words[0].startswith("http_auth(") and words[0].endswith(")"):
        name = words[0][len("http_auth(") : -1]
        return name if name and "," not in name else None
    return None


def _auth_term(word_group: list[str], auth: dict[str, str]) -> str | None:
    """The user list a condition term (`ok` or `{ http_auth(L) }`) checks, or None."""
    if word_group[:1] == ["{"] and word_group[-1:] == ["}"]:
        return _userlist(word_group[1:-1])
    return auth.get(word_group[0]) if len(word_group) == 1 else None


def _groups(words: list[str]) -> list[list[str]]:
    """Condition words as ACL references: `a`, `!b`, `{ ... }`, `!{ ... }`, `||`."""
    out: list[list[str]] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("{", "!{") or (word == "!" and words[i + 1 : i + 2] == ["{"]):
            start = i if word != "!" else i + 1
            end = words.index("}", start) if "}" in words[start:] else len(words) - 1
            group = words[i : end + 1]
            out.append(group if group[0] != "!{" else ["!", "{", *group[1:]])
            i = end + 1
        else:
            out.append([word])
            i += 1
    return out


def request_auth(
    action: list[str], cond: list[str], auth: dict[str, str], proxy: str, condition: Condition
) -> dict[str, Any] | None:
    """Map `http-request auth [realm R] if/unless ...` to a rule with `basic_auth`, or None.

    `condition` maps the rest of the condition (`['if', ...]`) as any other rule's.
    """
    if action[:2] != ["http-request", "auth"]:
        return None
    realm = proxy
    if len(action) == 4 and action[2] == "realm":
        realm = action[3]
    elif len(action) != 2:
        return None
    if not realm.isprintable() or not cond:
        return None  # without a condition it asks even a user who logged in
    groups = _groups(cond[1:])
    if cond[0] == "unless":
        userlist = _auth_term(groups[0], auth) if len(groups) == 1 else None
        rest: dict[str, Any] | None = {}
    else:
        userlist, kept = _without_auth(groups, auth)
        rest = condition(["if", *kept]) if kept else {}
    if userlist is None or rest is None:
        return None
    return {**rest, "basic_auth": {"userlist": userlist, "realm": realm}}


def _without_auth(groups: list[list[str]], auth: dict[str, str]) -> tuple[str | None, list[str]]:
    """Remove the negated auth ACL each OR-term must hold; (its user list, the rest)."""
    terms: list[list[list[str]]] = [[]]
    for group in groups:
        if group in (["||"], ["or"]):
            terms.append([])
        else:
            terms[-1].append(group)
    found: set[str] = set()
    kept: list[str] = []
    for term in terms:
        negated = [g for g in term if _negated(g, auth) is not None]
        if len(negated) != 1:
            return None, []
        found.add(_negated(negated[0], auth) or "")
        others = [w for g in term if g is not negated[0] for w in g]
        if not others and len(terms) > 1:
            return None, []  # `if a !ok || !ok`: one term asks everyone, the model cannot say it
        if kept and others:
            kept.append("||")
        kept.extend(others)
    return (found.pop() if len(found) == 1 else None), kept


def _negated(group: list[str], auth: dict[str, str]) -> str | None:
    if group[0] == "!" and len(group) > 1:
        return _auth_term(group[1:], auth)
    if group[0].startswith("!") and len(group) == 1:
        return auth.get(group[0][1:])
    return None


def stats_login(words: list[str]) -> str | None:
    """The user list of a stats page's `http-request auth unless { http_auth(LIST) }`."""
    if words[:4] == ["http-request", "auth", "unless", "{"] and words[5:] == ["}"]:
        return _userlist(words[4:5])
    return None
