"""API routes for changes without a reload: a server's state and weight, applied live."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ... import store
from ...deploy import DeployLocked
from ...usecases import server_state
from ..auth import actor, token_required
from ..db import get_db
from ..runtime_channels import runtime_channels
from . import BadRequest, bp, json_body, optional_int, settings


@bp.post("/pools/<pool>/servers/<server>")
@token_required("operator")
def set_server(pool: str, server: str) -> Any:
    body = json_body()
    state = body.get("state")  # a value the model refuses is a 422 naming the field
    weight = optional_int(body, "weight")
    if state is None and weight is None:
        raise BadRequest("give `state`, `weight` or both", "state")
    db = get_db()
    try:
        result = server_state.set_server(
            db,
            settings().environment,
            settings().inventory,
            pool,
            server,
            actor(),
            state=state,
            weight=weight,
            base_revision=optional_int(body, "base_revision"),
            channels=runtime_channels(),
        )
    except DeployLocked as exc:
        current = store.current_revision(db, settings().environment)
        details = [{"path": "", "message": str(exc)}]
        # A deploy of another caller can hold the lock before this environment has a revision.
        number = current.number if current else None
        body = {"error": str(exc), "details": details, "current_revision": number}
        return jsonify(body), 409
    db.commit()
    return jsonify(server_change_view(result))


def server_change_view(result: server_state.ServerChangeResult) -> dict[str, Any]:
    """Return what the API says about a server change: the revision and each host's result."""
    return {
        "revision": result.revision.number,
        "applied": result.applied,
        "hosts": [h.as_dict() for h in result.hosts],
    }
