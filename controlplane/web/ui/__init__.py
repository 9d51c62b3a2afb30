"""Server-rendered pages (one module per area); every view checks the user's role."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ui", __name__)

# Each module registers its views on bp.
from . import admin, audit, dashboard, deploys, history, model_pages, preview  # noqa: E402,F401
