"""Files the control plane stores for a config (the store flow): upload, list, remove, and the
contents a stored revision renders with.

An upload of a file the environment's current revision declares saves a new revision with
the same model that uses the new version: revisions stay immutable (each records the
version of every file it uses, store/files.py), the new content is deployed like any
change, and rolling back to the revision before serves the old bytes again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from .. import store
from ..errors import FieldError, ModelInvalid
from ..model import LbModel, LoadedModel
from ..model.config_files import FileContents, declared_files
from ..model.file_checks import check_file_contents
from ..store import Actor, Revision, StoredFile
from ..store import files as stored

# Below this many days left a certificate shows red on the dashboard and alerts
# (certificate_expiring); LBCTL_CERT_ALERT_DAYS changes it (web/config.py).
DEFAULT_ALERT_DAYS = 14


@dataclass(frozen=True)
class UploadResult:
    """A stored upload, its warnings, and the revision that now uses it (if the model does)."""

    file: StoredFile
    changed: bool
    warnings: list[str] = field(default_factory=list)
    revision: Revision | None = None


def upload_file(
    session: Session,
    environment: str,
    actor: Actor,
    kind: str,
    name: str,
    text: str | bytes,
) -> UploadResult:
    """Store a file; when the current revision declares it, save a revision using it.

    Raises FileRefused (nothing stored) naming every problem, FilesKeyMissing for a
    certificate without LBCTL_FILES_KEY, InvalidName.
    """
    put = stored.put_file(session, actor, kind, name, text)
    revision = None
    head = store.current_revision(session, environment)
    if put.changed and head is not None:
        model = store.revision_model(head)
        if (kind, name) in stored.declared_files(model):
            revision = _save_same_model(session, environment, head, model, actor, put.file)
    return UploadResult(put.file, put.changed, put.warnings, revision)


def put_certificate(
    session: Session, environment: str, actor: Actor, name: str, pem: str
) -> UploadResult:
    """Store a certificate bundle (see upload_file): what ACME renewals call."""
    return upload_file(session, environment, actor, "certificate", name, pem)


def remove_file(
    session: Session, environment: str, actor: Actor, kind: str, name: str
) -> StoredFile:
    """Remove a stored file the current revision does not declare; raises ModelInvalid if it does.

    Older revisions that used it keep their version (a rollback to them still deploys).
    """
    head = store.current_revision(session, environment)
    if head is not None:
        path = stored.declared_files(store.revision_model(head)).get((kind, name))
        if path is not None:
            raise ModelInvalid(
                [
                    FieldError(
                        path,
                        f"revision {head.number} of {environment} uses "
                        f"{stored.KIND_WORDS[kind]} {name!r}: remove it from the model "
                        "first, then remove the file",
                    )
                ],
                environment,
            )
    return stored.remove_file(session, actor, kind, name)


def _save_same_model(
    session: Session,
    environment: str,
    head: Revision,
    model: LbModel,
    actor: Actor,
    row: StoredFile,
) -> Revision:
    what = f"{stored.KIND_WORDS[row.kind]} {row.name}"
    detail = f"not after {row.not_after:%Y-%m-%d}" if row.not_after else f"{row.size} bytes"
    message = f"New version of {what} ({detail})"
    # The secrets stay as they are: the hash changes only through the files it uses.
    revision = store.save_revision(
        session,
        environment,
        model,
        actor.name,
        message,
        head.number,
        secrets_replaced=False,
        replaced_files={(row.kind, row.name): row.content_sha256},
    )
    store.record_audit(
        session,
        actor,
        "model.files",
        f"{environment} revision {revision.number}",
        {"message": message, "kind": row.kind, "name": row.name},
    )
    return revision


# --- contents for render -------------------------------------------------------------------


def revision_contents(session: Session, revision: Revision, model: LbModel) -> FileContents:
    """Return the texts of the file versions a stored revision uses, for render.

    Raises ModelInvalid naming the field of every declared file the revision has no
    stored content for, and FilesKeyMissing / FilesKeyWrong when a certificate cannot be
    decrypted.
    """
    texts = stored.pinned_texts(session, revision)
    source = f"{revision.environment} revision {revision.number}"
    return _complete(model, texts, source)


def current_contents(session: Session, model: LbModel, source: str = "model") -> FileContents:
    """Return the texts of the current stored versions, for a model not saved yet."""
    declared = stored.declared_files(model)
    return _complete(model, stored.current_texts(session, declared), source)


def checked(loaded: LoadedModel, contents: FileContents, source: str) -> LoadedModel:
    """Return the model with its files' warnings added; raises ModelInvalid on their errors.

    The same checks as the file flow's (model/file_checks.py), run when a stored revision
    or a candidate is rendered: a certificate that expired since its upload, or that covers
    none of the names routed to its frontend, is said at plan, render and deploy time.
    """
    found = check_file_contents(loaded.model, contents)
    if found.errors:
        raise ModelInvalid(found.errors, source)
    return LoadedModel(loaded.model, loaded.warnings + found.warnings)


def _complete(model: LbModel, texts: dict[stored.FileKey, str], source: str) -> FileContents:
    """Return the declared files' texts; raises ModelInvalid naming each one missing."""
    missing = []
    for declared in declared_files(model):
        if (declared.kind, declared.name) in texts:
            continue
        if declared.acme:
            message = (
                f"ACME has not issued certificate {declared.name!r} yet: "
                f"lbctl acme renew {declared.name} orders it"
            )
        else:
            problem = stored.FileMissing(declared.kind, declared.name, declared.path)
            message = str(problem).partition(": ")[2]
        missing.append(FieldError(declared.path, message))
    if missing:
        raise ModelInvalid(missing, source)
    wanted = stored.declared_files(model)
    return FileContents({key: texts[key] for key in wanted})  # type: ignore[misc]


# --- what lists and pages show -------------------------------------------------------------


def file_view(row: StoredFile, now: datetime | None = None) -> dict[str, Any]:
    """Return a stored file's metadata for answers and pages (never its text)."""
    view: dict[str, Any] = {"kind": row.kind, "name": row.name} | stored.describe(row)
    if row.not_after is not None:
        view["days_left"] = days_left(row.not_after, now)
    return view


def list_views(
    session: Session, kind: str | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Return every stored file's metadata (of one kind), by kind and name."""
    return [file_view(row, now) for row in stored.list_files(session, kind)]


def certificates_by_expiry(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """Return the stored certificates' metadata, the soonest to expire first."""
    views = list_views(session, "certificate", now)
    return sorted(views, key=lambda v: (v.get("days_left", 10**9), v["name"]))


def days_left(not_after: datetime, now: datetime | None = None) -> int:
    """Whole days until `not_after` (negative once expired)."""
    return (not_after - (now or datetime.now(UTC))).days
