"""Secrets inside a model document: masked for pages and API answers, restored on the way in.

A caller-sent secret is either the mask, meaning "keep the stored one", or an explicit
value, meaning "replace it". An explicit value is never compared with the stored one in
any answer: a 1-8 character VRRP password could otherwise be confirmed by guessing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

SECRET_MASK = "********"


def mask_document(document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a model document with every secret value replaced by SECRET_MASK."""
    masked = copy.deepcopy(document)
    for _, auth in _authentications(masked):
        if "password" in auth:
            auth["password"] = SECRET_MASK
    return masked


def restore_secrets(document: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Return a copy of `document` where each masked secret takes its current value back.

    A client that got a masked document and sends it back unchanged must not set the
    password to the mask; a secret is matched by its VIP pair's name. A mask with no
    current value is left as is, and validation then refuses it like any weak password.
    """
    known = secret_values(current or {})
    restored = copy.deepcopy(document)
    for name, auth in _authentications(restored):
        if auth.get("password") == SECRET_MASK and known.get(name):
            auth["password"] = known[name]
    return restored


def explicit_secrets(document: dict[str, Any]) -> set[str | None]:
    """Return the VIP pair names whose secret the document sets to a value (not the mask)."""
    return {
        name
        for name, auth in _authentications(document)
        if "password" in auth and auth["password"] != SECRET_MASK
    }


def secret_values(document: dict[str, Any]) -> dict[str | None, Any]:
    """Return each VIP pair's secret by pair name (pairs without one are left out)."""
    return {
        name: auth["password"] for name, auth in _authentications(document) if "password" in auth
    }


def replace_secrets(document: dict[str, Any], values: Mapping[str | None, Any]) -> dict[str, Any]:
    """Return a copy of `document` where each named pair's secret is `values[name]`."""
    replaced = copy.deepcopy(document)
    for name, auth in _authentications(replaced):
        if "password" in auth and name in values:
            auth["password"] = values[name]
    return replaced


def _authentications(document: dict[str, Any]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Yield (pair name, its authentication mapping); a name that is not text is None."""
    # Caller-sent documents are not validated yet: any level may be of the wrong type.
    pairs = document.get("vip_pairs") if isinstance(document, dict) else None
    for pair in pairs if isinstance(pairs, list) else []:
        auth = pair.get("authentication") if isinstance(pair, dict) else None
        if isinstance(auth, dict):
            name = pair.get("name")
            yield (name if isinstance(name, str) else None), auth
