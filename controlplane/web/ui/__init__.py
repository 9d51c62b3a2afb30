"""Server-rendered pages (one module per area); every view checks the user's role."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ui", __name__)

from . import dashboard  # noqa: E402,F401  (registers its views on bp)
