"""Operations on the running pairs from the dashboard: drift, switchover, failover drill."""

from __future__ import annotations

import os
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from ... import store
from ...deploy.switchover import SwitchoverError
from ...usecases import files
from ..auth import actor, role_required
from ..db import get_db
from ..monitoring import DRIFT_KEY
from . import bp
from .editing import environment

# "lab" probes from the lab's client namespace; an http:// URL is probed from the server.
DRILL_PROBE_SETTING = "LBCTL_DRILL_PROBE"


def _inventory() -> Any:
    return current_app.config["LBCTL"].inventory


def _audit(action: str, pair: str, detail: dict[str, Any]) -> None:
    """Record an operation on a pair (who, what, when, from where), whatever its outcome."""
    who = actor()
    db = get_db()
    store.record_audit(db, who, action, f"{environment()} pair {pair}", detail)
    db.commit()


@bp.route("/drift/fragment")
@role_required("viewer")
def drift_fragment() -> Any:
    """The hosts compared with the last successfully deployed revision, as a fragment."""
    watch = current_app.extensions[DRIFT_KEY]
    try:
        found = watch.report(refresh=request.args.get("refresh") == "1")
    except Exception as exc:  # an unreachable inventory must not break the dashboard
        return render_template("_drift.html", error=f"{type(exc).__name__}: {exc}")
    if found is None:
        return render_template("_drift.html", error="nothing has been deployed yet")
    number, report = found
    revision = store.get_revision(get_db(), environment(), number)
    return render_template("_drift.html", report=report, revision=revision)


@bp.route("/pairs/<pair>/switchover", methods=["POST"])
@role_required("operator")
def switchover(pair: str) -> Any:
    """Move the pair's VIPs off its MASTER (it stays drained); takes a few seconds."""
    try:
        result = files.switch_pair(_inventory(), pair)
        _audit("pair.switchover", pair, {"from": result.source, "to": result.target})
        flash(
            f"{pair}: VIPs moved {result.source} → {result.target} in {result.seconds:.1f} s; "
            f"{result.source} stays drained until you move them back.",
            "success",
        )
    except SwitchoverError as exc:
        _audit("pair.switchover", pair, {"error": str(exc)})
        flash(f"Switchover refused or not confirmed: {exc}", "error")
    return redirect(url_for("ui.dashboard"))


@bp.route("/pairs/<pair>/switchback", methods=["POST"])
@role_required("operator")
def switchback(pair: str) -> Any:
    """Undrain the pair's drained host and give it its VIPs back."""
    try:
        result = files.switch_pair_back(_inventory(), pair)
        _audit("pair.switchback", pair, {"to": result.target})
        flash(f"{pair}: VIPs back on {result.target} in {result.seconds:.1f} s.", "success")
    except SwitchoverError as exc:
        _audit("pair.switchback", pair, {"error": str(exc)})
        flash(f"Moving back failed: {exc}", "error")
    return redirect(url_for("ui.dashboard"))


@bp.route("/pairs/<pair>/drill", methods=["POST"])
@role_required("admin")
def drill(pair: str) -> Any:
    """Run the failover drill now (about 15-25 s) and show its figures."""
    setting = current_app.config.get(DRILL_PROBE_SETTING) or os.environ.get(DRILL_PROBE_SETTING)
    if not setting:
        flash(f"Set {DRILL_PROBE_SETTING} to 'lab' or an http:// URL through the VIP.", "error")
        return redirect(url_for("ui.dashboard"))
    lab = setting == "lab"
    try:
        probe = files.drill_probe(_inventory(), pair, None if lab else setting, lab)
    except (ValueError, RuntimeError, SwitchoverError) as exc:
        flash(f"Drill not started: {exc}", "error")
        return redirect(url_for("ui.dashboard"))
    report = files.drill_pair(_inventory(), pair, probe)
    _audit("pair.drill", pair, {"probe": setting})
    return render_template("drill.html", report=report)
