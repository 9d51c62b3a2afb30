"""The dashboard: the environment at a glance."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template

from ... import control, store
from ..auth import role_required
from ..db import get_db
from . import bp


@bp.route("/")
@role_required("viewer")
def dashboard() -> Any:
    settings = current_app.config["LBCTL"]
    db = get_db()
    revision = control.current_revision(db, settings.environment)
    deployments = store.list_deployments(db, settings.environment, limit=5)
    return render_template(
        "dashboard.html",
        revision=revision,
        model=store.revision_model(revision) if revision else None,
        deployments=deployments,
    )
