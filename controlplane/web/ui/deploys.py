"""Deploy: start a deploy of a revision, follow it live, list past deployments."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for

from ... import store
from ...usecases import deployments as deployment_jobs  # `deployments` is a view here
from ..auth import actor, role_required
from ..db import get_db, sessions
from . import bp
from .editing import environment, head


@bp.route("/deployments")
@role_required("viewer")
def deployments() -> Any:
    return render_template(
        "deployments.html",
        revision=head(),
        deployed=store.last_successful(get_db(), environment()),
        deployments=store.list_deployments(get_db(), environment(), limit=50),
    )


@bp.route("/deploy", methods=["POST"])
@role_required("operator")
def deploy() -> Any:
    raw = request.form.get("revision", "")
    number = int(raw) if raw.isdigit() else None
    try:
        deployment_id = deployment_jobs.start_deploy(
            sessions(), environment(), current_app.config["LBCTL"].inventory, actor(), number
        )
    except store.NotFound as missing:
        flash(f"Nothing to deploy: {missing}.", "error")
        return redirect(url_for("ui.deployments"))
    return redirect(url_for("ui.deployment", deployment_id=deployment_id))


@bp.route("/deployments/<int:deployment_id>")
@role_required("viewer")
def deployment(deployment_id: int) -> Any:
    found = _deployment(deployment_id)
    events = store.list_events(get_db(), deployment_id)
    return render_template("deployment.html", deployment=found, events=events)


@bp.route("/deployments/<int:deployment_id>/events.json")
@role_required("viewer")
def deployment_events(deployment_id: int) -> Any:
    """The events after `after` (a cursor), the state, and the host results once finished."""
    found = _deployment(deployment_id)
    after = request.args.get("after", "0")
    events = store.list_events(get_db(), deployment_id, int(after) if after.isdigit() else 0)
    return jsonify(
        {
            "state": found.state,
            "finished": found.state in deployment_jobs.FINAL_STATES,
            "events": [
                {
                    "seq": e.seq,
                    "at": e.at.strftime("%H:%M:%S"),
                    "host": e.host,
                    "task": e.task,
                    "kind": e.kind,
                    "message": e.message,
                }
                for e in events
            ],
            "host_results": found.host_results,
        }
    )


def _deployment(deployment_id: int) -> store.Deployment:
    try:
        found = store.get_deployment(get_db(), deployment_id)
    except store.NotFound:
        abort(404)
    if found.environment != environment():
        abort(404)
    return found
