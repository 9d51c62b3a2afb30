"""Secrets inside a model document: masked for pages and API answers, restored on the way in.

A caller-sent secret is either the mask, meaning "keep the stored one", or an explicit
value, meaning "replace it". An explicit value is never compared with the stored one in
any answer: a 1-8 character VRRP password could otherwise be confirmed by guessing.

The secrets are VIP pairs' VRRP passwords and user lists' password hashes (a hash lets
anyone who reads it guess passwords offline, so it is kept like a password).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

SECRET_MASK = "********"


def mask_document(document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a model document with every secret value replaced by SECRET_MASK."""
    masked = copy.deepcopy(document)
    for _, holder, key in _secret_slots(masked):
        holder[key] = SECRET_MASK
    return masked


def restore_secrets(document: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Return a copy of `document` where each masked secret takes its current value back.

    A client that got a masked document and sends it back unchanged must not set the
    password to the mask; a secret is matched by its place (secret_place). A mask with no
    current value is left as is, and validation then refuses it like any weak password.
    """
    known = secret_values(current or {})
    restored = copy.deepcopy(document)
    for place, holder, key in _secret_slots(restored):
        if holder[key] == SECRET_MASK and known.get(place):
            holder[key] = known[place]
    return restored


def explicit_secrets(document: dict[str, Any]) -> set[str | None]:
    """Return the places of the secrets the document sets to a value (not the mask)."""
    return {place for place, holder, key in _secret_slots(document) if holder[key] != SECRET_MASK}


def secret_values(document: dict[str, Any]) -> dict[str | None, Any]:
    """Return each secret by its place (objects without one are left out)."""
    return {place: holder[key] for place, holder, key in _secret_slots(document)}


def replace_secrets(document: dict[str, Any], values: Mapping[str | None, Any]) -> dict[str, Any]:
    """Return a copy of `document` where the secret at each place in `values` is its value."""
    replaced = copy.deepcopy(document)
    for place, holder, key in _secret_slots(replaced):
        if place in values:
            holder[key] = values[place]
    return replaced


def secret_stand_in(place: str | None, token: str) -> str:
    """Return a valid value for the secret at `place` that stands for `token` in diffs.

    A VRRP password is any short word, so the token itself; a user's password must be a
    hash, so the token becomes the salt of a hash-shaped value no password produces.
    """
    if place is not None and place.startswith("userlists["):
        salt = "".join(c for c in token if c.isalnum())[:16] or "x"
        return f"$6${salt}${'.' * 86}"
    return token


def user_secret_place(userlist: object, user: object) -> str:
    """Return the place of a user's password hash: `userlists[admins].users[bob]`.

    A VIP pair's secret keeps its bare pair name as its place, as revisions stored before
    other secrets existed hash it; `[` cannot appear in a name, so the two never clash.
    """
    return f"userlists[{userlist}].users[{user}]"


def _secret_slots(document: dict[str, Any]) -> Iterator[tuple[str | None, dict[str, Any], str]]:
    """Yield (place, the mapping holding a secret, its key) for every secret present."""
    for name, auth in _authentications(document):
        if "password" in auth:
            yield name, auth, "password"
    for userlist, user in _userlist_users(document):
        if "password" in user:
            yield user_secret_place(userlist, user.get("name")), user, "password"


def _userlist_users(document: dict[str, Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Yield (user list name, user mapping) for each user of each user list."""
    userlists = document.get("userlists") if isinstance(document, dict) else None
    for userlist in userlists if isinstance(userlists, list) else []:
        users = userlist.get("users") if isinstance(userlist, dict) else None
        for user in users if isinstance(users, list) else []:
            if isinstance(user, dict):
                yield userlist.get("name"), user


def _authentications(document: dict[str, Any]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Yield (pair name, its authentication mapping); a name that is not text is None."""
    # Caller-sent documents are not validated yet: any level may be of the wrong type.
    pairs = document.get("vip_pairs") if isinstance(document, dict) else None
    for pair in pairs if isinstance(pairs, list) else []:
        auth = pair.get("authentication") if isinstance(pair, dict) else None
        if isinstance(auth, dict):
            name = pair.get("name")
            yield (name if isinstance(name, str) else None), auth
