"""Revision hashes that cannot confirm a guessed VRRP password: a store key, secrets salts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

A revision's hash used to be the sha256 of its content, VRRP passwords included, and
viewers see it: substituting a guess for the mask in the export and hashing it confirmed
the password. Every existing revision gets a salt and its hash computed the way
controlplane.store.revisions.revision_hash does, under a new random key kept in
store_keys. The computation is copied here because a migration must keep working when
the app's code changes; tests/security/test_secret_oracles.py checks that the two agree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVISION_HASH_KEY = "revision-hash"
SECRET_MASK = "********"

_keys = sa.table(
    "store_keys",
    sa.column("name", sa.String),
    sa.column("value", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_revisions = sa.table(
    "revisions",
    sa.column("id", sa.Integer),
    sa.column("content", sa.Text),
    sa.column("content_hash", sa.String),
    sa.column("secrets_salt", sa.String),
)


def upgrade() -> None:
    op.create_table(
        "store_keys",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_keys")),
    )
    op.add_column(
        "revisions",
        sa.Column("secrets_salt", sa.String(length=32), server_default="", nullable=False),
    )
    bind = op.get_bind()
    key = secrets.token_bytes(32)
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":  # as the app's UtcDateTime stores it: naive UTC
        now = now.replace(tzinfo=None)
    bind.execute(_keys.insert().values(name=REVISION_HASH_KEY, value=key.hex(), created_at=now))
    # One revision in memory at a time: a store may hold thousands of large models.
    for (revision_id,) in bind.execute(sa.select(_revisions.c.id)).all():
        content = bind.execute(
            sa.select(_revisions.c.content).where(_revisions.c.id == revision_id)
        ).scalar_one()
        salt = secrets.token_hex(16) if _has_secrets(content) else ""
        bind.execute(
            _revisions.update()
            .where(_revisions.c.id == revision_id)
            .values(secrets_salt=salt, content_hash=_revision_hash(content, salt, key))
        )


def downgrade() -> None:
    bind = op.get_bind()
    for (revision_id,) in bind.execute(sa.select(_revisions.c.id)).all():
        content = bind.execute(
            sa.select(_revisions.c.content).where(_revisions.c.id == revision_id)
        ).scalar_one()
        plain = hashlib.sha256(content.encode()).hexdigest()
        bind.execute(
            _revisions.update().where(_revisions.c.id == revision_id).values(content_hash=plain)
        )
    op.drop_column("revisions", "secrets_salt")
    op.drop_table("store_keys")


def _has_secrets(content: str) -> bool:
    pairs = json.loads(content).get("vip_pairs") or []
    return any("password" in (pair.get("authentication") or {}) for pair in pairs)


def _revision_hash(content: str, salt: str, key: bytes) -> str:
    """Return revisions.revision_hash(content, salt, key) as it was at this migration."""
    document: dict[str, Any] = json.loads(content)
    found = {}
    for pair in document.get("vip_pairs") or []:
        auth = pair.get("authentication") or {}
        if "password" in auth:
            found[pair.get("name")] = auth["password"]
            auth["password"] = SECRET_MASK
    masked = json.dumps(document, sort_keys=True, separators=(",", ":"))
    secrets_text = json.dumps(sorted(found.items()), separators=(",", ":"))
    keyed = hmac.new(key, f"{salt}\n{secrets_text}".encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(f"{masked}\n{keyed}".encode()).hexdigest()
