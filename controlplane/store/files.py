"""Files a config uses, uploaded to the control plane: certificates, CA bundles, CRLs, maps,
error pages (the store flow; the file flow reads them next to the model file instead).

What is kept, per kind and name:
- every uploaded version, immutable, identified by the sha256 of its text; one of them is
  `current`, the one the next saved revision uses;
- a certificate (it holds a private key) only as a Fernet token under LBCTL_FILES_KEY
  (file_encryption.py), with its metadata in plain columns: subject, SANs, issuer, serial,
  validity, SHA-256 fingerprint, key type. Nothing else in the store, the audit log, the
  logs or an answer ever holds its text.

How a revision refers to files: saving a revision records, for every file its model
declares, the content hash of the current version (table revision_files, see
revisions.save_revision). Rendering a revision reads exactly those versions, so a rollback
deploys the bytes it deployed before. A version no revision pins is deleted as soon as it
stops being current; a pinned one stays (encrypted) for as long as the revision does.

Every upload, replacement and removal is audited here, with metadata only; the caller
owns the transaction, as everywhere in the store.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..model.certificates import (
    inspect_ca_bundle,
    inspect_certificate,
    inspect_crl,
    private_key_in,
)
from ..model.config_files import declared_files as model_declared_files
from ..model.types import NAME_PATTERN
from .acme import rotate_account_keys
from .audit import Actor, record_audit
from .errors import InvalidName, NotFound, StoreError
from .file_encryption import FilesKeys
from .tables import FILE_KINDS, Revision, RevisionFile, StoredFile

log = logging.getLogger(__name__)

# How each kind is called in messages and on the command line.
KIND_WORDS = {
    "certificate": "certificate",
    "ca_bundle": "CA bundle",
    "crl": "CRL",
    "map": "map",
    "error_page": "error page",
}
# Upper bounds per file. An error page is answered from one HAProxy buffer: 16 KiB by
# default (tune.bufsize) less the 1 KiB HAProxy reserves for header rewrites.
MAX_BYTES = {
    "certificate": 1024 * 1024,
    "ca_bundle": 4 * 1024 * 1024,
    "crl": 8 * 1024 * 1024,
    "map": 8 * 1024 * 1024,
    "error_page": 15 * 1024,
}
_STATUS_LINE = re.compile(r"HTTP/1\.[01] [1-5][0-9][0-9]( [^\r\n]*)?\r?\n")

FileKey = tuple[str, str]  # (kind, name)


@dataclass
class FileRefused(StoreError):
    """An upload is not stored: `problems` say what is wrong with the content."""

    kind: str
    name: str
    problems: list[str]

    def __str__(self) -> str:
        what = f"{KIND_WORDS.get(self.kind, self.kind)} {self.name!r}"
        return f"{what} refused: " + "; ".join(self.problems)


@dataclass
class FileMissing(StoreError):
    """A revision declares a file the store has no content for; `path` is the model field."""

    kind: str
    name: str
    path: str
    revision: str = ""

    def __str__(self) -> str:
        where = f" for {self.revision}" if self.revision else ""
        return (
            f"{self.path}: the store has no {KIND_WORDS.get(self.kind, self.kind)} "
            f"{self.name!r}{where}; upload it ({upload_hint(self.kind, self.name)}), "
            "then save the model again"
        )


@dataclass(frozen=True)
class PutResult:
    """What an upload did: the version now current, whether it changed, its warnings."""

    file: StoredFile
    changed: bool  # False when the same content was current already
    replaced: StoredFile | None  # the version that was current before, if another
    warnings: list[str] = field(default_factory=list)


def upload_hint(kind: str, name: str) -> str:
    if kind == "certificate":
        return f"lbctl cert put {name} --pem FILE"
    return f"lbctl file put --kind {kind.replace('_', '-')} {name} FILE"


# --- writing -------------------------------------------------------------------------------


def put_certificate(
    session: Session, actor: Actor, name: str, pem: str, now: datetime | None = None
) -> PutResult:
    """Store a certificate bundle (leaf, chain, unencrypted key) as `name`'s current version.

    Refuses (FileRefused, nothing stored) what the model's checks refuse: not PEM, an
    encrypted key, a key that does not match, a chain out of order, an expired leaf.
    Raises FilesKeyMissing when LBCTL_FILES_KEY is unset: a key is never stored in clear.
    """
    return put_file(session, actor, "certificate", name, pem, now)


def put_file(
    session: Session,
    actor: Actor,
    kind: str,
    name: str,
    text: str | bytes,
    now: datetime | None = None,
) -> PutResult:
    """Store `text` as the current version of the kind's `name`, audited with metadata.

    The same content uploaded again makes that version current without a new row.
    """
    _check_name(kind, name)
    text = _as_text(kind, name, text)
    metadata, warnings = inspect_file(kind, name, text, now)
    digest = content_sha256(text)
    previous = current_file(session, kind, name)
    existing = session.scalars(
        select(StoredFile).where(
            StoredFile.kind == kind, StoredFile.name == name, StoredFile.content_sha256 == digest
        )
    ).first()
    if previous is not None and previous is existing:
        return PutResult(existing, False, None, warnings)
    if existing is None:
        existing = _new_row(kind, name, text, digest, metadata, actor)
    try:
        if previous is not None:
            previous.current = False
            session.flush()  # before the new one is current: one current version per name
        existing.current = True
        existing.uploaded_by, existing.uploaded_at = actor.name, _now(now)
        session.add(existing)
        session.flush()
    except IntegrityError:
        # A concurrent upload of the same name made its version current first: the
        # partial unique index on current versions decides, on PostgreSQL as on SQLite.
        session.rollback()
        raise StoreError(
            f"{KIND_WORDS[kind]} {name!r} was uploaded by someone else at the same time; "
            "nothing was stored: look at the file list, then upload again"
        ) from None
    _prune(session, kind, name)
    detail = {"kind": kind, "name": name} | describe(existing)
    if previous is not None:
        detail["replaced"] = describe(previous)
    action = "file.replace" if previous is not None else "file.upload"
    record_audit(session, actor, action, f"{kind} {name}", detail)
    log.info("%s %s %s by %s: %s", action, kind, name, actor.name, _summary(existing))
    return PutResult(existing, True, previous, warnings)


def remove_file(session: Session, actor: Actor, kind: str, name: str) -> StoredFile:
    """Remove `name` from the store; returns the version that was current.

    Versions that a revision pins stay (so that revision can still be deployed, e.g. by a
    rollback) but are no longer current: a revision saved from now on has no content for
    the name. Every other version is deleted.
    """
    _check_kind(kind)
    row = current_file(session, kind, name)
    if row is None:
        raise NotFound(KIND_WORDS[kind], name)
    row.current = False
    session.flush()
    kept = _prune(session, kind, name)
    detail = {"kind": kind, "name": name, "kept_for_revisions": kept} | describe(row)
    record_audit(session, actor, "file.remove", f"{kind} {name}", detail)
    log.info("file.remove %s %s by %s: %s", kind, name, actor.name, _summary(row))
    return row


def rotate_files_key(session: Session, actor: Actor) -> int:
    """Encrypt every encrypted version again under the first key of LBCTL_FILES_KEY.

    Returns how many rows were re-encrypted. Raises FilesKeyWrong, naming the file, when
    one of them opens with no listed key (nothing is changed then: the caller rolls back).
    """
    keys = FilesKeys.from_environ()
    rows = list(session.scalars(select(StoredFile).where(StoredFile.encrypted.is_(True))))
    changed = 0
    for row in rows:
        if row.key_id == keys.current_id:
            continue
        row.content = keys.rotate(row.content, _what(row), row.key_id)
        row.key_id = keys.current_id
        changed += 1
    changed += rotate_account_keys(session, keys)  # ACME account keys: the same key
    session.flush()
    record_audit(
        session, actor, "file.rotate_key", "files", {"rows": changed, "key_id": keys.current_id}
    )
    return changed


# --- reading -------------------------------------------------------------------------------


def current_file(session: Session, kind: str, name: str) -> StoredFile | None:
    """Return the current version of the kind's `name`, None when the store has none."""
    return session.scalars(
        select(StoredFile).where(
            StoredFile.kind == kind, StoredFile.name == name, StoredFile.current.is_(True)
        )
    ).first()


def get_file(session: Session, kind: str, name: str) -> StoredFile:
    """Return the current version of the kind's `name`; raises NotFound."""
    _check_kind(kind)
    row = current_file(session, kind, name)
    if row is None:
        raise NotFound(KIND_WORDS[kind], name)
    return row


def list_files(session: Session, kind: str | None = None) -> list[StoredFile]:
    """Return the current version of every stored file (of one kind), by kind and name."""
    query = select(StoredFile).where(StoredFile.current.is_(True))
    if kind is not None:
        _check_kind(kind)
        query = query.where(StoredFile.kind == kind)
    return list(session.scalars(query.order_by(StoredFile.kind, StoredFile.name)))


def file_text(row: StoredFile) -> str:
    """Return a version's text, decrypted when it is a certificate.

    Raises FilesKeyMissing / FilesKeyWrong for an encrypted one without the right key,
    and StoreError when the text does not hash to what was stored (tampered rows).
    """
    text = row.content
    if row.encrypted:
        text = FilesKeys.from_environ().decrypt(row.content, _what(row), row.key_id)
    if content_sha256(text) != row.content_sha256:
        raise StoreError(f"{_what(row)}: the stored content does not match its hash")
    return text


def describe(row: StoredFile) -> dict[str, Any]:
    """Return a version's metadata: what answers, lists, the audit log and logs may show."""
    found: dict[str, Any] = {
        "content_sha256": row.content_sha256,
        "size": row.size,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": _iso(row.uploaded_at),
    }
    if row.fingerprint_sha256 is not None:
        found["fingerprint_sha256"] = row.fingerprint_sha256
    if row.kind == "certificate":
        found |= {
            "subject": row.subject,
            "sans": list(row.sans or []),
            "issuer": row.issuer,
            "serial": row.serial,
            "not_before": _iso(row.not_before),
            "not_after": _iso(row.not_after),
            "key_type": row.key_type,
        }
    elif row.not_after is not None:
        found["not_after"] = _iso(row.not_after)
    return found


# --- revisions' pins -----------------------------------------------------------------------


def current_pins(session: Session, wanted: Iterable[FileKey]) -> dict[FileKey, str]:
    """Return the content hash of the current version of each wanted file the store has."""
    pins: dict[FileKey, str] = {}
    for kind, name in wanted:
        row = current_file(session, kind, name)
        if row is not None:
            pins[(kind, name)] = row.content_sha256
    return pins


def pin_revision(session: Session, revision: Revision, pins: dict[FileKey, str]) -> None:
    """Record which version of each file a new revision uses (revisions.py calls this)."""
    for (kind, name), digest in sorted(pins.items()):
        session.add(
            RevisionFile(revision_id=revision.id, kind=kind, name=name, content_sha256=digest)
        )
    session.flush()


def revision_pins(session: Session, revision: Revision) -> dict[FileKey, str]:
    """Return (kind, name) -> content hash of every file version the revision uses."""
    rows = session.scalars(select(RevisionFile).where(RevisionFile.revision_id == revision.id))
    return {(row.kind, row.name): row.content_sha256 for row in rows}


def pinned_texts(session: Session, revision: Revision) -> dict[FileKey, str]:
    """Return the text of every file version the revision uses (certificates decrypted)."""
    texts: dict[FileKey, str] = {}
    for (kind, name), digest in revision_pins(session, revision).items():
        row = session.scalars(
            select(StoredFile).where(
                StoredFile.kind == kind,
                StoredFile.name == name,
                StoredFile.content_sha256 == digest,
            )
        ).first()
        if row is not None:
            texts[(kind, name)] = file_text(row)
    return texts


def current_texts(session: Session, wanted: Iterable[FileKey]) -> dict[FileKey, str]:
    """Return the text of the current version of each wanted file (for a model not saved)."""
    texts: dict[FileKey, str] = {}
    for kind, name in wanted:
        row = current_file(session, kind, name)
        if row is not None:
            texts[(kind, name)] = file_text(row)
    return texts


def certificates_in_service(session: Session, revision: Revision | None) -> list[StoredFile]:
    """Return, per stored certificate name, the version the hosts serve or will serve.

    That is the version `revision` (the last deployed one) uses, and for a name it does
    not use, the current version: what expiry metrics and alerts must watch. Sorted by
    name.
    """
    pins = revision_pins(session, revision) if revision is not None else {}
    found: dict[str, StoredFile] = {}
    for (kind, name), digest in pins.items():
        if kind != "certificate":
            continue
        row = session.scalars(
            select(StoredFile).where(
                StoredFile.kind == kind,
                StoredFile.name == name,
                StoredFile.content_sha256 == digest,
            )
        ).first()
        if row is not None:
            found[name] = row
    for row in list_files(session, "certificate"):
        found.setdefault(row.name, row)
    return [found[name] for name in sorted(found)]


# --- internals -----------------------------------------------------------------------------


def content_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def inspect_file(
    kind: str, name: str, text: str, now: datetime | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Return the columns of metadata a file's content gives, and its warnings.

    Raises FileRefused with every problem that keeps it from being served.
    """
    _check_kind(kind)
    problems: list[str] = []
    size = len(text.encode())
    if size > MAX_BYTES[kind]:
        problems.append(f"{size} bytes, more than the {MAX_BYTES[kind]} a {kind} may have")
    if "\x00" in text:
        problems.append("holds a NUL character: upload the text file itself")
    if kind != "certificate" and private_key_in(text):
        problems.append(
            "holds a private key: only certificates may (they are stored encrypted); "
            "remove the key from this file"
        )
    if problems:
        raise FileRefused(kind, name, problems)
    metadata: dict[str, Any] = {}
    warnings: list[str] = []
    if kind == "certificate":
        report = inspect_certificate(text, name, now=now)
        if not report.ok or report.info is None:
            raise FileRefused(kind, name, [f.message for f in report.errors])
        info = report.info
        metadata = {
            "subject": info.subject,
            "sans": list(info.sans),
            "issuer": info.issuer,
            "serial": info.serial,
            "not_before": info.not_before,
            "not_after": info.not_after,
            "fingerprint_sha256": info.fingerprint_sha256,
            "key_type": f"{info.key_type} {info.key_size}".strip(),
        }
        warnings = [f.message for f in report.warnings]
    elif kind == "ca_bundle":
        bundle, findings = inspect_ca_bundle(text, name, now=now)
        _refuse_errors(kind, name, findings)
        if bundle is not None:
            metadata = {"fingerprint_sha256": bundle.fingerprint_sha256}
            metadata["not_after"] = bundle.not_after
        warnings = [f.message for f in findings]
    elif kind == "crl":
        crl, findings = inspect_crl(text, name, now=now)
        _refuse_errors(kind, name, findings)
        if crl is not None:
            metadata = {"fingerprint_sha256": crl.fingerprint_sha256}
            metadata["not_after"] = crl.next_update
        warnings = [f.message for f in findings]
    elif kind == "error_page" and not _STATUS_LINE.match(text):
        raise FileRefused(
            kind,
            name,
            [
                "an error page is a whole HTTP response: it must start with a status line "
                "such as 'HTTP/1.1 503 Service Unavailable', then headers, a blank line, "
                "the body"
            ],
        )
    return metadata, warnings


def _refuse_errors(kind: str, name: str, findings: list[Any]) -> None:
    errors = [f.message for f in findings if f.severity == "error"]
    if errors:
        raise FileRefused(kind, name, errors)


def _new_row(
    kind: str, name: str, text: str, digest: str, metadata: dict[str, Any], actor: Actor
) -> StoredFile:
    row = StoredFile(
        kind=kind,
        name=name,
        content_sha256=digest,
        size=len(text.encode()),
        current=True,
        uploaded_by=actor.name,
        **metadata,
    )
    if kind == "certificate":
        keys = FilesKeys.from_environ()  # raises before anything is written
        row.content, row.encrypted, row.key_id = keys.encrypt(text), True, keys.current_id
    else:
        row.content, row.encrypted, row.key_id = text, False, ""
    return row


def _prune(session: Session, kind: str, name: str) -> int:
    """Delete the name's versions that are neither current nor pinned; return how many stay."""
    pinned = select(RevisionFile.content_sha256).where(
        RevisionFile.kind == kind, RevisionFile.name == name
    )
    session.execute(
        delete(StoredFile)
        .where(
            StoredFile.kind == kind,
            StoredFile.name == name,
            StoredFile.current.is_(False),
            StoredFile.content_sha256.not_in(pinned),
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    remaining = session.scalars(
        select(StoredFile.id).where(
            StoredFile.kind == kind, StoredFile.name == name, StoredFile.current.is_(False)
        )
    )
    return len(list(remaining))


def _as_text(kind: str, name: str, text: str | bytes) -> str:
    if isinstance(text, str):
        return text
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        problem = "not UTF-8 text (a DER file? convert it: openssl x509 -outform PEM)"
        raise FileRefused(kind, name, [problem]) from None


def _check_kind(kind: str) -> None:
    if kind not in FILE_KINDS:
        raise StoreError(f"unknown file kind {kind!r}; one of {', '.join(FILE_KINDS)}")


def _check_name(kind: str, name: str) -> None:
    _check_kind(kind)
    if not re.fullmatch(NAME_PATTERN, name):
        raise InvalidName(KIND_WORDS[kind], name)


def _what(row: StoredFile) -> str:
    return f"{KIND_WORDS.get(row.kind, row.kind)} {row.name!r}"


def _summary(row: StoredFile) -> str:
    if row.kind == "certificate":
        return (
            f"subject {row.subject}, not after {_iso(row.not_after)}, "
            f"sha256 fingerprint {row.fingerprint_sha256}"
        )
    return f"{row.size} bytes, content sha256 {row.content_sha256}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _now(now: datetime | None) -> datetime:
    from .tables import utc_now

    return now if now is not None else utc_now()


# --- what a model declares -----------------------------------------------------------------


def declared_files(model: object) -> dict[FileKey, str]:
    """Return (kind, name) -> field path of every file the model declares.

    In the store flow every declared file's content comes from the store by kind and
    name; a `file:` path only means something next to a model file (the file flow).
    """
    found: dict[FileKey, str] = {}
    for declared in model_declared_files(model):
        found.setdefault((declared.kind, declared.name), declared.path)
    return found
