"""Saving a page's change as a new revision: base revision, stale refusal, model errors."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, request
from flask_login import current_user

from ... import store
from ...errors import ModelInvalid
from ...store import Revision, role_allows
from ...usecases import revisions
from ...usecases.revisions import DocumentEdit
from ..auth import actor
from ..db import get_db

STALE = (
    "Someone changed the model since you opened this page: nothing was saved. "
    "The page now shows the current model; make your change again."
)


def environment() -> str:
    return current_app.config["LBCTL"].environment


def head() -> Revision | None:
    """Return the environment's newest revision."""
    return store.current_revision(get_db(), environment())


def document() -> dict[str, Any]:
    """Return the newest model document, secrets masked."""
    return revisions.revision_document(head())


def can_edit() -> bool:
    return role_allows(current_user.role, "operator")


def base_revision() -> int | None:
    """Return the revision number the submitted form was made from (hidden field)."""
    raw = request.form.get("base_revision", "")
    return int(raw) if raw.isdigit() else None


def save_edit(
    edit: DocumentEdit, message: str, touches: tuple[str, str | None] | None = None
) -> Revision | ModelInvalid | None:
    """Return the new revision, the model's errors (nothing saved), or None when stale.

    `touches` is the (list, item name) the edit keeps to (see revisions.edit_document).
    """
    db = get_db()
    try:
        revision = revisions.edit_document(
            db, environment(), edit, actor(), message, base_revision(), touches
        )
    except store.StaleRevision:
        db.rollback()
        flash(STALE, "error")
        return None
    except ModelInvalid as invalid:
        db.rollback()
        return invalid
    db.commit()
    flash(f"Saved as revision {revision.number}: {message}.", "success")
    return revision
