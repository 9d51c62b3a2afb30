"""Keys the store makes for itself, kept in the database so replicas and the CLI share them."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from .tables import StoreKey

# Keys the hash viewers see of a revision's secrets (revisions.revision_hash).
REVISION_HASH_KEY = "revision-hash"


def store_key(session: Session, name: str) -> bytes:
    """Return the store's key called `name`, made (32 random bytes) if it has none yet.

    Migration 0003 makes the revision-hash key; making it here covers a store whose key
    row was deleted. Two writers making it at once: one fails on the primary key, and
    its request can be sent again.
    """
    row = session.get(StoreKey, name)
    if row is None:
        row = StoreKey(name=name, value=secrets.token_hex(32))
        session.add(row)
        session.flush()
    return bytes.fromhex(row.value)
