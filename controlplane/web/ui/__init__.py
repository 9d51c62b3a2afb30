"""Server-rendered pages (one module per area); every view checks the user's role."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ui", __name__)

# Each module registers its views on bp.
from . import (  # noqa: E402,F401
    admin,
    audit,
    config_import_page,
    dashboard,
    deploys,
    files_page,
    history,
    import_hosts_page,
    model_pages,
    operations,
    preview,
    preview_files,
    runtime_pages,
    settings_page,
)
