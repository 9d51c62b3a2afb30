"""API routes the LB hosts call: keepalived's notify hook reports VRRP transitions."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify

from ... import store
from ...observe.alerts import ENGINE_KEY
from ...observe.metrics import VRRP_STATES
from ...usecases.vrrp_reports import unknown_reporter
from ..auth import actor, api_error, token_required
from ..db import get_db
from ..openapi import NAME_PATTERN
from . import BadRequest, bp, json_body, settings

NAME = re.compile(NAME_PATTERN)
INSTANCES_KEY = "lbctl.vrrp_instances"  # the app's usecases.vrrp_reports.InstanceCache


@bp.post("/events/vrrp")
@token_required("operator")
def vrrp_event() -> Any:
    """Record a VRRP transition and alert on it now (the poller would see it later)."""
    body = json_body()
    host, instance = _name(body, "host"), _name(body, "instance")
    state = body.get("state")
    if state not in VRRP_STATES:
        raise BadRequest(f"`state` must be one of {', '.join(VRRP_STATES)}, got {state!r}", "state")
    priority = body.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 255:
        raise BadRequest(f"`priority` must be an integer 0-255, got {priority!r}", "priority")
    cache = current_app.extensions.setdefault(INSTANCES_KEY, {})
    refused = unknown_reporter(get_db(), settings().environment, host, instance, cache)
    if refused is not None:
        path, message = refused
        return api_error(422, message, [{"path": path, "message": message}])
    who = actor()
    detail = {"host": host, "instance": instance, "state": state, "priority": priority}
    store.record_audit(get_db(), who, "vrrp.transition", f"{instance} on {host}", detail)
    get_db().commit()
    changed = current_app.extensions[ENGINE_KEY].vrrp_state(host, instance, state, priority)
    return jsonify({"recorded": True, "alerted": changed}), 202


def _name(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    # fullmatch: with match, `$` also takes a trailing newline into the audit log.
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise BadRequest(f"`{key}` must be a host or instance name, got {value!r}", key)
    return value
