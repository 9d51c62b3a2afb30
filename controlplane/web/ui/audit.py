"""Audit log: who did what, when, from where (operators and admins; viewers cannot)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from ... import store
from ..auth import role_required
from ..db import get_db
from . import bp

PAGE = 100


@bp.route("/audit")
@role_required("operator")
def audit() -> Any:
    raw = request.args.get("page", "1")
    page = max(int(raw), 1) if raw.isdigit() else 1
    entries = store.list_audit_entries(get_db(), limit=PAGE + 1, offset=(page - 1) * PAGE)
    return render_template(
        "audit.html", entries=entries[:PAGE], page=page, more=len(entries) > PAGE
    )
