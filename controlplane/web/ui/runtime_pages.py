"""Pool page buttons: drain, maint, enable or reweight a server live (no reload)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for

from ... import store
from ...deploy import DeployLocked
from ...errors import ModelInvalid
from ...usecases import server_state
from ..auth import actor, role_required
from ..db import get_db
from ..runtime_channels import runtime_channels
from . import bp


@bp.route("/model/pools/<name>/servers/<key>/runtime", methods=["POST"])
@role_required("operator")
def server_runtime(name: str, key: str) -> Any:
    state = request.form.get("state") or None
    raw_weight = (request.form.get("weight") or "").strip()
    weight = int(raw_weight) if raw_weight.isdigit() else None
    settings = current_app.config["LBCTL"]
    db = get_db()
    back = redirect(url_for("ui.model_item", kind="pools", name=name))
    if state is None and weight is None:
        flash("Give a state or a whole-number weight; nothing was changed.", "error")
        return back
    try:
        result = server_state.set_server(
            db, settings.environment, settings.inventory, name, key, actor(),
            state=state, weight=weight, channels=runtime_channels(),
        )  # fmt: skip
    except (ModelInvalid, store.NotFound, store.StaleRevision, DeployLocked) as exc:
        db.rollback()
        flash(f"Server {name}/{key} was not changed: {exc}", "error")
        return back
    db.commit()
    hosts = "; ".join(
        f"{h.host} applied in {h.seconds * 1000:.0f} ms" if h.ok else f"{h.host} FAILED: {h.error}"
        for h in result.hosts
    )
    message = f"Revision {result.revision.number}: {name}/{key} changed without a reload. {hosts}"
    if not result.applied:
        message += " The revision is saved; the next deploy converges the hosts."
    flash(message, "success" if result.applied else "error")
    return back
