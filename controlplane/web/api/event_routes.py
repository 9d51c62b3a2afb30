"""API routes the LB hosts call: keepalived's notify hook reports VRRP transitions."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify

from ... import store
from ...errors import ModelInvalid
from ...observe.alerts import ENGINE_KEY
from ...observe.metrics import VRRP_STATES
from ...render import keepalived_context
from ..auth import actor, api_error, token_required
from ..db import get_db
from ..openapi import NAME_PATTERN
from . import BadRequest, bp, json_body, settings

NAME = re.compile(NAME_PATTERN)
INSTANCES_KEY = "lbctl.vrrp_instances"  # revision id -> ({host: VRRP instance names} or None,)


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
    refused = _unknown(host, instance)
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


def _unknown(host: str, instance: str) -> tuple[str, str] | None:
    """Return (field, message) when the host or its instance is in neither model, else None.

    Hosts run the last deployed revision until the newest one is deployed, so an instance
    of either one is real; anything else would put a made-up host in the alerts.
    """
    readable = [found for found in map(_instances_by_host, _revisions()) if found is not None]
    if not readable:
        # No revision yet (hosts deployed from the CLI report here too), or none today's
        # rules accept: nothing to check against, so keep alerting.
        return None
    known: dict[str, set[str]] = {}
    for instances_by_host in readable:
        for name, instances in instances_by_host.items():
            known.setdefault(name, set()).update(instances)
    if host not in known:
        return "host", (
            f"host: {host!r} is not an lb_host of the current model (nor of the deployed "
            "one); LBCTL_NOTIFY_HOST on the reporting host must name one"
        )
    if instance not in known[host]:
        return "instance", (
            f"instance: {instance!r} is not a VRRP instance of {host} in the current model "
            f"(nor in the deployed one); {host} has {', '.join(sorted(known[host])) or 'none'}"
        )
    return None


def _revisions() -> list[store.Revision]:
    """Return the newest revision and the last successfully deployed one (when there are)."""
    db, environment = get_db(), settings().environment
    deployed = store.last_successful(db, environment)
    found = [store.current_revision(db, environment), deployed.revision if deployed else None]
    return [revision for revision in found if revision is not None]


def _instances_by_host(revision: store.Revision) -> dict[str, frozenset[str]] | None:
    """Return each host's VRRP instance names in the revision; None if it no longer validates."""
    # A revision never changes: its instances are worked out once, not at every event.
    cache: dict[int, tuple[dict[str, frozenset[str]] | None]] = current_app.extensions.setdefault(
        INSTANCES_KEY, {}
    )
    cached = cache.get(revision.id)
    if cached is not None:
        return cached[0]
    try:
        model = store.revision_model(revision)
    except ModelInvalid:  # an old revision under newer rules
        found = None
    else:
        found = {
            host.name: frozenset(i.name for i in keepalived_context(model, host.name).instances)
            for host in model.lb_hosts
        }
    if len(cache) >= 16:  # only the newest and the deployed revision are ever asked for
        cache.clear()
    cache[revision.id] = (found,)
    return found
