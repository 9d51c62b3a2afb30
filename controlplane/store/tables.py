"""The store's tables: revisions, deployments and their events, audit log, users, API tokens,
the admin app's login sessions and failed logins, uploaded files and the revisions' pins.

Changing anything here needs a new migration in migrations/versions/; the migration test
fails when the two disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAME_LENGTH = 63
ACTOR_LENGTH = 255  # user names, but also "cli:root" or a token's "user/token"
ROLES = ("viewer", "operator", "admin")
DEPLOY_STATES = ("queued", "running", "succeeded", "failed", "interrupted")
LOGIN_SCOPES = ("account", "address")  # what a run of failed logins is counted against
# What the store keeps of the files a config uses, by the model's own words (store/files.py).
FILE_KINDS = ("certificate", "ca_bundle", "crl", "map", "error_page")


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database.

    SQLite has no time zones and hands back naive values; PostgreSQL hands back the
    session's zone. Both come back as UTC here so times compare and print the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store times are timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    # Named constraints, so later migrations (and SQLite's batch mode) can refer to them.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}


class Revision(Base):
    """One immutable version of an environment's whole model."""

    __tablename__ = "revisions"
    # number = parent's number + 1, so two writers with the same base collide here.
    __table_args__ = (UniqueConstraint("environment", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment: Mapped[str] = mapped_column(String(NAME_LENGTH))
    number: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    author: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    content: Mapped[str] = mapped_column(Text)  # canonical JSON of model_document()
    # What viewers see: sha256 of the masked content and a keyed digest of the secrets
    # (revisions.revision_hash); a plain hash of `content` would confirm a guessed password.
    content_hash: Mapped[str] = mapped_column(String(64))
    # Random hex, new whenever a caller sets a secret explicitly (revisions.save_revision).
    secrets_salt: Mapped[str] = mapped_column(String(32), server_default="")


class Deployment(Base):
    """One push of a revision to an environment's hosts, from queued to its outcome."""

    __tablename__ = "deployments"
    __table_args__ = (
        CheckConstraint(_one_of("state", DEPLOY_STATES), name="state"),
        Index(None, "environment", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment: Mapped[str] = mapped_column(String(NAME_LENGTH))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    requested_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # [{host, status, seconds, failed_step, error}], in deploy order; empty until finished.
    host_results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    revision: Mapped[Revision] = relationship(lazy="joined")


class DeploymentEvent(Base):
    """One line of a deployment's event log; append-only, ordered by `seq`."""

    __tablename__ = "deployment_events"
    __table_args__ = (UniqueConstraint("deployment_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per deployment: a stream cursor
    at: Mapped[datetime] = mapped_column(default=utc_now)
    host: Mapped[str] = mapped_column(String(255), default="")
    task: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Base):
    """Who did what to which object, when and from where."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(45))  # longest IPv6 text form


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))  # werkzeug scrypt, salted
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ApiToken(Base):
    """An API token; only its sha256 is kept, the plaintext is shown once at creation."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # public: finds the row
    token_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class WebSession(Base):
    """A login to the admin app; the cookie carries its id, only the id's sha256 is kept.

    The cookie alone is not enough: a session whose row is gone (logged out, expired,
    password changed) is refused even with a validly signed cookie.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailures(Base):
    """Failed logins of one account name or one client address, and its lockout."""

    __tablename__ = "login_failures"
    __table_args__ = (
        UniqueConstraint("scope", "key"),
        CheckConstraint(_one_of("scope", LOGIN_SCOPES), name="scope"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(ACTOR_LENGTH))  # the name as typed, or the address
    failures: Mapped[int] = mapped_column(Integer, default=0)  # since window_started_at
    window_started_at: Mapped[datetime]
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # each one lasts twice as long
    locked_until: Mapped[datetime | None]


class StoreKey(Base):
    """A random key the store made for itself; every replica and the CLI read the same one."""

    __tablename__ = "store_keys"

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))  # hex of 32 random bytes
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class StoredFile(Base):
    """One uploaded version of a file a config uses (certificate, CA bundle, CRL, ...).

    Versions are immutable; `current` marks the one a new revision pins. Certificates
    (they hold a private key) are kept as a Fernet token only (store/file_encryption.py);
    their metadata columns are what lists and answers show.
    """

    __tablename__ = "stored_files"
    __table_args__ = (
        UniqueConstraint("kind", "name", "content_sha256"),
        CheckConstraint(_one_of("kind", FILE_KINDS), name="kind"),
        Index(None, "kind", "name"),
        # At most one current version per name, also when two uploads race.
        Index(
            "uq_stored_files_current",
            "kind",
            "name",
            unique=True,
            sqlite_where=text("current"),
            postgresql_where=text("current"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    content_sha256: Mapped[str] = mapped_column(String(64))  # of the plaintext
    content: Mapped[str] = mapped_column(Text)  # the text, or its Fernet token when encrypted
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    key_id: Mapped[str] = mapped_column(String(16), default="")  # which key encrypted it
    size: Mapped[int] = mapped_column(Integer)  # bytes of the plaintext
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    # Certificates only: the leaf's metadata (model/certificates.py reads it at upload).
    subject: Mapped[str | None] = mapped_column(Text)
    sans: Mapped[list[str] | None] = mapped_column(JSON)
    issuer: Mapped[str | None] = mapped_column(Text)
    serial: Mapped[str | None] = mapped_column(String(64))
    not_before: Mapped[datetime | None]
    not_after: Mapped[datetime | None]
    fingerprint_sha256: Mapped[str | None] = mapped_column(String(64))
    key_type: Mapped[str | None] = mapped_column(String(32))
    uploaded_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    uploaded_at: Mapped[datetime] = mapped_column(default=utc_now)


class RevisionFile(Base):
    """Which stored version of a file a revision uses: rolling back deploys the same bytes."""

    __tablename__ = "revision_files"

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64))


class AcmeAccount(Base):
    """The control plane's account at one ACME server: its key, encrypted (store/acme.py)."""

    __tablename__ = "acme_accounts"

    directory: Mapped[str] = mapped_column(String(1100), primary_key=True)  # the directory URL
    key: Mapped[str] = mapped_column(Text)  # Fernet token of the account key's PEM
    key_id: Mapped[str] = mapped_column(String(16))  # which LBCTL_FILES_KEY encrypted it
    uri: Mapped[str] = mapped_column(Text, default="")  # the account's URL at the server
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class AcmeRenewal(Base):
    """One ACME certificate's renewal record: failures in a row, last error, next try."""

    __tablename__ = "acme_renewals"

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)  # certificate
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
