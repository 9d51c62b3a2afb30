"""Files a config uses (certificates, CA bundles, CRLs, maps, error pages) and revisions' pins.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

stored_files keeps every uploaded version (certificates encrypted, see
controlplane/store/file_encryption.py); revision_files records which version each revision
uses, so a rollback deploys the same bytes. Existing revisions declare no stored files,
so nothing is filled in.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILE_KINDS = "kind IN ('certificate', 'ca_bundle', 'crl', 'map', 'error_page')"


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("sans", sa.JSON(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("serial", sa.String(length=64), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fingerprint_sha256", sa.String(length=64), nullable=True),
        sa.Column("key_type", sa.String(length=32), nullable=True),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(FILE_KINDS, name=op.f("ck_stored_files_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint(
            "kind", "name", "content_sha256", name=op.f("uq_stored_files_kind_name_content_sha256")
        ),
    )
    op.create_index(op.f("ix_stored_files_kind_name"), "stored_files", ["kind", "name"])
    op.create_index(
        "uq_stored_files_current",
        "stored_files",
        ["kind", "name"],
        unique=True,
        sqlite_where=sa.text("current"),
        postgresql_where=sa.text("current"),
    )
    op.create_table(
        "revision_files",
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["revisions.id"],
            name=op.f("fk_revision_files_revision_id_revisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("revision_id", "kind", "name", name=op.f("pk_revision_files")),
    )


def downgrade() -> None:
    op.drop_table("revision_files")
    op.drop_index("uq_stored_files_current", table_name="stored_files")
    op.drop_index(op.f("ix_stored_files_kind_name"), table_name="stored_files")
    op.drop_table("stored_files")
