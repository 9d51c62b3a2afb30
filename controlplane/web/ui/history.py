"""History: every revision, the diff between any two, and one-click rollback."""

from __future__ import annotations

import difflib
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from ... import store
from ...errors import ModelInvalid
from ...usecases import revisions
from ..auth import actor, role_required
from ..db import get_db
from . import bp
from .editing import STALE, base_revision, environment, head


@bp.route("/history")
@role_required("viewer")
def history() -> Any:
    listed = store.list_revisions(get_db(), environment(), limit=200)
    rolled = request.args.get("rolled_back", "")
    return render_template(
        "history.html",
        revisions=listed,
        head=head(),
        rolled_back=int(rolled) if rolled.isdigit() else None,
    )


@bp.route("/history/diff")
@role_required("viewer")
def history_diff() -> Any:
    old, new = _revision(request.args.get("a", "")), _revision(request.args.get("b", ""))
    if old.number > new.number:
        old, new = new, old
    return render_template("history_diff.html", old=old, new=new, lines=_yaml_diff(old, new))


@bp.route("/history/<int:number>/rollback", methods=["POST"])
@role_required("operator")
def rollback(number: int) -> Any:
    db = get_db()
    try:
        revision = revisions.rollback(db, environment(), number, actor(), base_revision())
    except store.StaleRevision:
        db.rollback()
        flash(STALE, "error")
        return redirect(url_for("ui.history"))
    except store.NotFound:
        abort(404)
    db.commit()
    flash(f"Revision {revision.number} now holds the model of revision {number}.", "success")
    return redirect(url_for("ui.history", rolled_back=revision.number))


@bp.route("/history/<int:number>/model.yaml")
@role_required("viewer")
def export_revision(number: int) -> Any:
    revision = _revision(str(number))
    filename = f"{environment()}-r{revision.number}.yaml"
    return Response(
        revisions.export_yaml(revision),
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/import", methods=["POST"])
@role_required("operator")
def import_model() -> Any:
    upload = request.files.get("file")
    text = upload.read() if upload and upload.filename else request.form.get("yaml", "")
    db = get_db()
    try:
        revision = revisions.import_yaml(
            db, environment(), text, actor(), request.form.get("message", ""), base_revision()
        )
    except ModelInvalid as invalid:
        db.rollback()
        flash("Not imported: " + "; ".join(str(e) for e in invalid.errors[:10]), "error")
        return redirect(url_for("ui.history"))
    except store.StaleRevision:
        db.rollback()
        flash(STALE, "error")
        return redirect(url_for("ui.history"))
    db.commit()
    flash(f"Imported as revision {revision.number}. Nothing changed on the hosts yet.", "success")
    return redirect(url_for("ui.history"))


def _revision(raw: str) -> store.Revision:
    try:
        return store.get_revision(get_db(), environment(), int(raw))
    except (ValueError, store.NotFound):
        abort(404)


def _yaml_diff(old: store.Revision, new: store.Revision) -> list[str]:
    """Return the unified diff of two revisions' documents, secrets masked."""

    def text(revision: store.Revision) -> list[str]:
        return revisions.export_yaml(revision).splitlines()

    return list(
        difflib.unified_diff(
            text(old),
            text(new),
            fromfile=f"revision {old.number}",
            tofile=f"revision {new.number}",
            lineterm="",
        )
    )
