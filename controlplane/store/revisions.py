"""Revisions: immutable, numbered versions of an environment's whole model.

Each environment's revisions are numbered 1, 2, 3...; a new one must name the newest as
its base, so two people editing the same revision cannot overwrite each other's work.
A revision also records which stored version of each file it declares it uses (files.py):
a rollback deploys the same bytes.
Functions here add and flush but never commit: the caller owns the transaction.

A revision's hash, shown to viewers, covers its content with secrets masked plus an HMAC
of the secrets under a key the store keeps (keys.py), salted per revision: without the
key a guessed VRRP password cannot be checked against it, and a secret set again to the
same value gives a new hash (see save_revision).
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..model import LbModel, dump_model_yaml, model_document
from ..model.secrets import mask_document, secret_values
from ..model.types import NAME_PATTERN
from .errors import InvalidName, NotFound, StaleRevision
from .files import FileKey, current_pins, declared_files, pin_revision, revision_pins
from .keys import REVISION_HASH_KEY, store_key
from .revision_cache import REVISIONS
from .tables import Revision


def save_revision(
    session: Session,
    environment: str,
    model: LbModel,
    author: str,
    message: str,
    base_revision: int | None,
    secrets_replaced: bool = True,
    replaced_files: dict[FileKey, str] | None = None,
    document: dict[str, Any] | None = None,
    content: str | None = None,
) -> Revision:
    """Return the new newest revision of the environment, holding `model`.

    Each file the model declares keeps the version the newest revision uses; a file it
    did not use gets the store's current version, and `replaced_files` ((kind, name) ->
    content hash) sets new ones (an upload). So only an upload or a rollback changes
    which bytes a file has: editing the model after a rollback keeps the rolled-back ones.

    `base_revision` is the number of the revision the change was made from (None for an
    environment's first). When it is not the newest, StaleRevision is raised and the
    session is rolled back: a refused write leaves nothing of its transaction behind.

    `secrets_replaced` is False only when the caller kept every secret of the newest
    revision as it was (sent them masked): the hash then stays comparable with the
    newest's. Otherwise the secrets get a new salt, so a secret set again to its old
    value does not give the old hash back, which would confirm a guess.

    `document`, when the caller has it, is model_document(model) (spares dumping it again),
    and `content` its canonical JSON (revision_json.composed_json: spares serialising it).
    """
    head = _writable_head(session, environment, base_revision)
    if head is not None and head.secrets_salt and not secrets_replaced:
        salt = head.secrets_salt
    else:
        salt = new_salt()
    declared = declared_files(model)
    pins = current_pins(session, declared) | (revision_pins(session, head) if head else {})
    pins = {
        key: digest for key, digest in (pins | (replaced_files or {})).items() if key in declared
    }
    return _add_revision(
        session,
        environment,
        head,
        base_revision,
        model,
        author,
        message,
        salt,
        pins,
        document,
        content,
    )


def _writable_head(
    session: Session, environment: str, base_revision: int | None
) -> Revision | None:
    """Return the newest revision, after checking that `base_revision` is it."""
    check_environment(environment)
    session.flush()  # the caller's pending rows must not be mistaken for our conflict
    head = current_revision(session, environment)
    current = head.number if head else None
    if base_revision != current:
        session.rollback()
        raise StaleRevision(environment, base_revision, current)
    return head


def _add_revision(
    session: Session,
    environment: str,
    head: Revision | None,
    base_revision: int | None,
    model: LbModel,
    author: str,
    message: str,
    salt: str,
    pins: dict[FileKey, str],
    document: dict[str, Any] | None = None,
    content: str | None = None,
) -> Revision:
    document = model_document(model) if document is None else document
    content = _canonical_json(document) if content is None else content
    if not secret_values(document):
        salt = ""  # nothing to hide: the hash then identifies the content alone
    current = head.number if head else None
    revision = Revision(
        environment=environment,
        number=(current or 0) + 1,
        parent_id=head.id if head else None,
        author=author,
        message=message,
        content=content,
        secrets_salt=salt,
        content_hash=revision_hash(
            content, salt, store_key(session, REVISION_HASH_KEY), _pin_text(pins), document
        ),
    )
    session.add(revision)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent writer took this number first: the unique (environment, number)
        # constraint decides, on PostgreSQL as on SQLite.
        session.rollback()
        winner = current_revision(session, environment)
        if winner is None or winner.number == current:
            raise
        raise StaleRevision(environment, base_revision, winner.number) from None
    pin_revision(session, revision, pins)
    return revision


def _pin_text(pins: dict[FileKey, str]) -> str:
    return "\n".join(f"{kind}/{name} {digest}" for (kind, name), digest in sorted(pins.items()))


def current_revision(session: Session, environment: str) -> Revision | None:
    """Return the environment's newest revision, None when it has none yet."""
    # The id first, then the row through the session's identity map: a row is immutable,
    # and a save asks for the head five times, each of which read its whole content again
    # (5.5 MB at 50,000 servers, 10-20 ms each).
    found = session.scalars(
        select(Revision.id)
        .where(Revision.environment == environment)
        .order_by(Revision.number.desc())
        .limit(1)
    ).first()
    return session.get(Revision, found) if found is not None else None


def get_revision(session: Session, environment: str, number: int) -> Revision:
    """Return revision `number` of the environment; raises NotFound."""
    revision = session.scalars(
        select(Revision).where(Revision.environment == environment, Revision.number == number)
    ).first()
    if revision is None:
        raise NotFound("revision", f"{environment}/{number}")
    return revision


def list_revisions(
    session: Session, environment: str, limit: int = 50, offset: int = 0
) -> list[Revision]:
    """Return a page of the environment's revisions, newest first."""
    return list(
        session.scalars(
            select(Revision)
            .where(Revision.environment == environment)
            .order_by(Revision.number.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def list_environments(session: Session) -> list[str]:
    """Return the names of every environment that has a revision, sorted."""
    query = select(Revision.environment).distinct().order_by(Revision.environment)
    return list(session.scalars(query))


def revision_model(revision: Revision) -> LbModel:
    """Return the model a revision holds, validated again by today's rules (once per
    process: revision_cache.py)."""
    return REVISIONS.loaded(revision).model


def _unmasked_yaml(revision: Revision) -> str:
    # Only for diff_revisions, whose callers mask; every export goes through
    # usecases.revisions.export_yaml, which masks secrets.
    return dump_model_yaml(revision_model(revision))


def diff_revisions(old: Revision, new: Revision) -> str:
    """Return a unified diff from one revision's YAML export to another's ('' if equal).

    VRRP passwords appear as they are: masking them is the caller's job.
    """
    lines = difflib.unified_diff(
        _unmasked_yaml(old).splitlines(keepends=True),
        _unmasked_yaml(new).splitlines(keepends=True),
        fromfile=f"{old.environment}@{old.number}",
        tofile=f"{new.environment}@{new.number}",
    )
    return "".join(lines)


def rollback_to(
    session: Session, environment: str, number: int, author: str, base_revision: int | None
) -> Revision:
    """Return a new newest revision whose model equals that of revision `number`.

    History is never rewritten: rolling back is one more revision, based on the newest.
    It takes the target's secrets salt and stored files too (the same versions, not the
    current ones), so its hash is the target's and a deploy serves the target's bytes.
    """
    target = get_revision(session, environment, number)
    model = revision_model(target)
    message = f"Roll back to revision {number}"
    pins = revision_pins(session, target)
    head = _writable_head(session, environment, base_revision)
    return _add_revision(
        session,
        environment,
        head,
        base_revision,
        model,
        author,
        message,
        target.secrets_salt,
        pins,
    )


def canonical_content(model: LbModel) -> str:
    """Return the model as canonical JSON: sorted keys, no spaces, ASCII only."""
    return _canonical_json(model_document(model))


def _canonical_json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def revision_hash(
    content: str, salt: str, key: bytes, files: str = "", document: dict[str, Any] | None = None
) -> str:
    """Return the hash that identifies a revision's content to viewers (sha256 hex).

    It covers the canonical content with secrets masked, then an HMAC-SHA256 under the
    store's key of the salt and the secrets. Hashing the masked export with a guessed
    password substituted does not give it back, and without the key neither does
    anything else. A revision without secrets has the empty salt. `files` lists the
    stored file versions it uses ("kind/name sha256" lines): a new certificate gives a
    new hash; a revision without stored files hashes as it always did.
    """
    document = json.loads(content) if document is None else document  # parsed: the same
    # Without secrets the masked text is the content itself (the same canonical dump).
    has_secrets = bool(secret_values(document))
    masked = _canonical_json(mask_document(document)) if has_secrets else content
    secrets_text = json.dumps(sorted(secret_values(document).items()), separators=(",", ":"))
    keyed = hmac.new(key, f"{salt}\n{secrets_text}".encode(), hashlib.sha256).hexdigest()
    tail = f"\nfiles\n{files}" if files else ""
    return hashlib.sha256(f"{masked}\n{keyed}{tail}".encode()).hexdigest()


def new_salt() -> str:
    """Return a fresh secrets salt for a revision (16 random bytes, hex)."""
    return secrets.token_hex(16)


def check_environment(environment: str) -> None:
    """Raise InvalidName unless `environment` is a valid name (it appears in URLs and paths)."""
    if not re.fullmatch(NAME_PATTERN, environment):
        raise InvalidName("environment", environment)
