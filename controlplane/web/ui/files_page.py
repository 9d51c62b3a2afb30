"""The Files page: certificates, CA bundles, CRLs, maps and error pages in the store.

Everyone with a login sees their metadata (never a file's text); admins upload, replace
and remove them. The dashboard's certificates card reads the same list.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from ... import store
from ...errors import ModelInvalid
from ...store.tables import FILE_KINDS
from ...usecases import stored_files
from ..auth import actor, role_required
from ..db import get_db
from . import bp
from .editing import environment


@bp.route("/files")
@role_required("viewer")
def files(status: int = 200) -> Any:
    page = render_template(
        "files.html",
        files=stored_files.list_views(get_db()),
        kinds=FILE_KINDS,
        kind_words=store.files.KIND_WORDS,
        alert_days=alert_days(),
    )
    return page, status


@bp.route("/files", methods=["POST"])
@role_required("admin")
def upload_file() -> Any:
    kind, name = request.form.get("kind", ""), request.form.get("name", "").strip()
    upload = request.files.get("content")
    if kind not in FILE_KINDS or upload is None or not upload.filename:
        return _refuse("Choose a kind, a name and a file to upload.")
    db = get_db()
    try:
        result = stored_files.upload_file(db, environment(), actor(), kind, name, upload.read())
    except store.StoreError as error:  # refused content, bad name, no LBCTL_FILES_KEY
        db.rollback()
        return _refuse(f"Not stored: {error}")
    db.commit()
    what = f"{store.files.KIND_WORDS[kind]} {name}"
    for warning in result.warnings:
        flash(f"{what}: {warning}", "info")
    if not result.changed:
        flash(f"{what}: this content was stored already.", "info")
    elif result.revision is not None:
        flash(f"{what} stored; revision {result.revision.number} uses it: deploy it.", "success")
    else:
        flash(f"{what} stored.", "success")
    return redirect(url_for("ui.files"))


@bp.route("/files/<kind>/<name>/remove", methods=["POST"])
@role_required("admin")
def remove_file(kind: str, name: str) -> Any:
    if kind not in FILE_KINDS:
        return _refuse(f"No such kind of file: {kind}.")
    db = get_db()
    try:
        stored_files.remove_file(db, environment(), actor(), kind, name)
    except ModelInvalid as invalid:
        db.rollback()
        return _refuse("Not removed: " + "; ".join(str(e) for e in invalid.errors))
    except store.StoreError as error:
        db.rollback()
        return _refuse(f"Not removed: {error}.")
    db.commit()
    flash(f"{store.files.KIND_WORDS[kind]} {name} removed.", "success")
    return redirect(url_for("ui.files"))


def alert_days() -> int:
    """Below this many days left a certificate shows red (and certificate_expiring fires)."""
    return int(current_app.config["LBCTL"].certificate_alert_days)


def certificates_card() -> dict[str, Any]:
    """What the dashboard's certificates card shows: soonest expiry first, the threshold."""
    return {
        "certificates": stored_files.certificates_by_expiry(get_db()),
        "alert_days": alert_days(),
    }


def _refuse(message: str) -> Any:
    flash(message, "error")
    return files(status=400)
