"""ACME: the account key per ACME server (encrypted) and each certificate's renewal record.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

acme_accounts keeps the account key only as a Fernet token under LBCTL_FILES_KEY, like a
stored certificate's key; acme_renewals counts failed renewals in a row and says when the
next try is allowed. New tables: nothing existing changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "acme_accounts",
        sa.Column("directory", sa.String(length=1100), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("directory", name=op.f("pk_acme_accounts")),
    )
    op.create_table(
        "acme_renewals",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_acme_renewals")),
    )


def downgrade() -> None:
    op.drop_table("acme_renewals")
    op.drop_table("acme_accounts")
