"""API routes that reach the hosts: start and follow deployments, live status."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for

from ... import store
from ...store import Deployment, DeploymentEvent
from ...usecases.deployments import start_deploy
from ..auth import actor, token_required
from ..db import get_db, sessions
from ..monitoring import status_cache
from ..request_limits import expensive
from . import bp, json_body, optional_int, query_int, settings

# How old a status /status may answer with; a younger one is served without asking the hosts.
STATUS_MAX_AGE_S = 5.0


@bp.post("/deployments")
@token_required("operator")
def create_deployment() -> Any:
    revision = optional_int(json_body(required=False), "revision")
    deployment_id = start_deploy(
        sessions(), settings().environment, settings().inventory, actor(), revision
    )
    url = url_for("api.get_deployment", deployment_id=deployment_id)
    return jsonify({"id": deployment_id, "url": url}), 202, {"Location": url}


@bp.get("/deployments/<int:deployment_id>")
@token_required("viewer")
def get_deployment(deployment_id: int) -> Any:
    after = query_int("after", 0, 0)
    db = get_db()
    deployment = store.get_deployment(db, deployment_id)
    if deployment.environment != settings().environment:
        raise store.NotFound("deployment", str(deployment_id))
    events = store.list_events(db, deployment_id, after_seq=after)
    return jsonify(deployment_view(deployment, events))


@bp.get("/status")
@token_required("viewer")
@expensive(shared=True)
def status() -> Any:
    # Collecting runs Ansible for seconds: callers share one run and a recent result
    # (the poller's, the dashboard's), so parallel calls cannot hold every worker thread.
    cached = status_cache().get(settings().inventory, max_age_s=STATUS_MAX_AGE_S)
    # Unreachable hosts are findings, not errors: the answer is still 200.
    return jsonify(cached.status.as_dict())


def deployment_view(deployment: Deployment, events: list[DeploymentEvent]) -> dict[str, Any]:
    """Return what the API says about a deployment and the events asked for."""

    def when(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": deployment.id,
        "environment": deployment.environment,
        "state": deployment.state,
        "revision": deployment.revision.number,
        "requested_by": deployment.requested_by,
        "created_at": when(deployment.created_at),
        "started_at": when(deployment.started_at),
        "finished_at": when(deployment.finished_at),
        "hosts": list(deployment.host_results or []),
        "events": [
            {
                "seq": e.seq,
                "at": when(e.at),
                "host": e.host,
                "task": e.task,
                "kind": e.kind,
                "message": e.message,
            }
            for e in events
        ],
    }
