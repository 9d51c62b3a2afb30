"""Secrets inside a model document: masked for pages and API answers, restored on the way in."""

from __future__ import annotations

import copy
from typing import Any

SECRET_MASK = "********"


def mask_document(document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a model document with every secret value replaced by SECRET_MASK."""
    masked = copy.deepcopy(document)
    for pair in masked.get("vip_pairs") or []:
        auth = pair.get("authentication") if isinstance(pair, dict) else None
        if isinstance(auth, dict) and "password" in auth:
            auth["password"] = SECRET_MASK
    return masked


def restore_secrets(document: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Return a copy of `document` where each masked secret takes its current value back.

    A client that got a masked document and sends it back unchanged must not set the
    password to the mask; a secret is matched by its VIP pair's name. A mask with no
    current value is left as is, and validation then refuses it like any weak password.
    """
    restored = copy.deepcopy(document)
    known = {
        pair.get("name"): (pair.get("authentication") or {}).get("password")
        for pair in (current or {}).get("vip_pairs") or []
        if isinstance(pair, dict)
    }
    for pair in restored.get("vip_pairs") or []:
        auth = pair.get("authentication") if isinstance(pair, dict) else None
        name = pair.get("name") if isinstance(pair, dict) else None
        if isinstance(auth, dict) and auth.get("password") == SECRET_MASK and known.get(name):
            auth["password"] = known[name]
    return restored
