"""REST API /api/v1: JSON in and out, bearer tokens, the same core as the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from .. import control
from .auth import token_required
from .db import get_db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/model")
@token_required("viewer")
def get_model() -> Any:
    settings = current_app.config["LBCTL"]
    revision = control.current_revision(get_db(), settings.environment)
    return jsonify(
        {
            "environment": settings.environment,
            "revision": revision.number if revision else None,
            "model": control.revision_document(revision),
        }
    )
