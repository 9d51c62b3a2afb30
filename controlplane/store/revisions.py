"""Revisions: immutable, numbered versions of an environment's whole model.

Each environment's revisions are numbered 1, 2, 3...; a new one must name the newest as
its base, so two people editing the same revision cannot overwrite each other's work.
Functions here add and flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..model import LbModel, dump_model_yaml, load_model, model_document, validate_data
from ..model.types import NAME_PATTERN
from .errors import InvalidName, NotFound, StaleRevision
from .tables import Revision


def save_revision(
    session: Session,
    environment: str,
    model: LbModel,
    author: str,
    message: str,
    base_revision: int | None,
) -> Revision:
    """Return the new newest revision of the environment, holding `model`.

    `base_revision` is the number of the revision the change was made from (None for an
    environment's first). When it is not the newest, StaleRevision is raised and the
    session is rolled back: a refused write leaves nothing of its transaction behind.
    """
    check_environment(environment)
    session.flush()  # the caller's pending rows must not be mistaken for our conflict
    head = current_revision(session, environment)
    current = head.number if head else None
    if base_revision != current:
        session.rollback()
        raise StaleRevision(environment, base_revision, current)
    content = canonical_content(model)
    revision = Revision(
        environment=environment,
        number=(current or 0) + 1,
        parent_id=head.id if head else None,
        author=author,
        message=message,
        content=content,
        content_hash=content_hash(content),
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
    return revision


def current_revision(session: Session, environment: str) -> Revision | None:
    """Return the environment's newest revision, None when it has none yet."""
    return session.scalars(
        select(Revision)
        .where(Revision.environment == environment)
        .order_by(Revision.number.desc())
        .limit(1)
    ).first()


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
    """Return the model a revision holds, validated again by today's rules."""
    source = f"{revision.environment} revision {revision.number}"
    return validate_data(json.loads(revision.content), source).model


def import_yaml(
    session: Session,
    environment: str,
    text: str | bytes,
    author: str,
    message: str,
    base_revision: int | None,
    source: str = "import.yaml",
) -> Revision:
    """Return the new revision holding a YAML (or JSON) model document.

    An invalid document raises the loader's ModelInvalid, listing every error with its
    field path, before anything is written.
    """
    model = load_model(text, source).model
    return save_revision(session, environment, model, author, message, base_revision)


def export_yaml(revision: Revision) -> str:
    """Return the revision's model as YAML in the CLI's file format."""
    return dump_model_yaml(revision_model(revision))


def diff_revisions(old: Revision, new: Revision) -> str:
    """Return a unified diff from one revision's YAML export to another's ('' if equal).

    VRRP passwords appear as they are: masking them is the caller's job.
    """
    lines = difflib.unified_diff(
        export_yaml(old).splitlines(keepends=True),
        export_yaml(new).splitlines(keepends=True),
        fromfile=f"{old.environment}@{old.number}",
        tofile=f"{new.environment}@{new.number}",
    )
    return "".join(lines)


def rollback_to(
    session: Session, environment: str, number: int, author: str, base_revision: int | None
) -> Revision:
    """Return a new newest revision whose model equals that of revision `number`.

    History is never rewritten: rolling back is one more revision, based on the newest.
    """
    target = get_revision(session, environment, number)
    model = revision_model(target)
    message = f"Roll back to revision {number}"
    return save_revision(session, environment, model, author, message, base_revision)


def canonical_content(model: LbModel) -> str:
    """Return the model as canonical JSON: sorted keys, no spaces, ASCII only."""
    return json.dumps(model_document(model), sort_keys=True, separators=(",", ":"))


def content_hash(content: str) -> str:
    """Return the sha256 hex digest that identifies a revision's content."""
    return hashlib.sha256(content.encode()).hexdigest()


def check_environment(environment: str) -> None:
    """Raise InvalidName unless `environment` is a valid name (it appears in URLs and paths)."""
    if not re.fullmatch(NAME_PATTERN, environment):
        raise InvalidName("environment", environment)
