"""The dashboard: the environment at a glance, with live status loaded after the page."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from ... import store
from ..auth import role_required
from ..db import get_db
from ..monitoring import status_cache
from . import bp
from .editing import environment, head
from .files_page import certificates_card


@bp.route("/")
@role_required("viewer")
def dashboard() -> Any:
    revision = head()
    return render_template(
        "dashboard.html",
        revision=revision,
        model=store.revision_model(revision) if revision else None,
        deployments=store.list_deployments(get_db(), environment(), limit=5),
        card=certificates_card(),
    )


@bp.route("/status/fragment")
@role_required("viewer")
def status_fragment() -> Any:
    """The live status as an HTML fragment; collecting runs Ansible, so it is cached."""
    inventory = current_app.config["LBCTL"].inventory
    try:
        cached = status_cache().get(inventory, refresh=request.args.get("refresh") == "1")
    except Exception as exc:  # an unreadable inventory must not break the dashboard
        return render_template("_status.html", error=f"{type(exc).__name__}: {exc}"), 200
    return render_template("_status.html", status=cached.status, age_s=cached.age_s)
