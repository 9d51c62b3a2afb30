"""API routes over the model: read, save, validate, render, diff, plan, revisions."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify

from ... import store
from ...diff import FileDiff, has_changes, mask_secrets
from ...errors import ModelInvalid
from ...store import Revision
from ...usecases import plans, revisions
from ..auth import actor, api_error, token_required
from ..collection_pause import pauses_collection
from ..db import get_db
from ..request_limits import expensive
from . import (
    BadRequest,
    bp,
    field_errors,
    json_body,
    model_field,
    optional_int,
    query_int,
    settings,
)

MAX_PAGE = 500
# JSON's "\ud800" escape parses to half a character, which the store cannot encode.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@bp.get("/model")
@token_required("viewer")
def get_model() -> Any:
    revision = store.current_revision(get_db(), settings().environment)
    return jsonify(
        {
            "environment": settings().environment,
            "revision": revision.number if revision else None,
            "model": revisions.revision_document(revision),
        }
    )


@bp.get("/model.yaml")
@token_required("viewer")
def get_model_yaml() -> Any:
    revision = store.current_revision(get_db(), settings().environment)
    if revision is None:
        return api_error(404, f"{settings().environment} has no revision yet")
    return Response(revisions.export_yaml(revision), mimetype="application/yaml")


@bp.put("/model")
@token_required("operator")
@pauses_collection
def put_model() -> Any:
    body = json_body()
    message = body.get("message") or ""
    if not isinstance(message, str) or LONE_SURROGATE.search(message):
        raise BadRequest("`message` must be a string of Unicode text", "message")
    db = get_db()
    revision = revisions.save_document(
        db,
        settings().environment,
        model_field(body),
        actor(),
        message,
        optional_int(body, "base_revision"),
    )
    db.commit()
    return jsonify(
        {
            "environment": revision.environment,
            "revision": revision.number,
            "hash": revision.content_hash,
        }
    )


@bp.post("/validate")
@token_required("viewer")
@expensive()
@pauses_collection
def validate() -> Any:
    document = model_field(json_body())
    try:
        loaded = revisions.candidate_model(get_db(), settings().environment, document)
    except ModelInvalid as exc:
        return jsonify({"valid": False, "errors": field_errors(exc.errors), "warnings": []})
    return jsonify({"valid": True, "errors": [], "warnings": field_errors(loaded.warnings)})


@bp.post("/render")
@token_required("viewer")
@expensive()
@pauses_collection
def render() -> Any:
    body = json_body(required=False)
    db, environment = get_db(), settings().environment
    if "model" in body:
        result = revisions.render_document(db, environment, model_field(body))
        revision = None
    else:
        revision = store.current_revision(db, environment)
        if revision is None:
            raise store.NotFound("revision in environment", environment)
        result = revisions.render_revision(db, revision)
    hosts = {
        h.host: {name: mask_secrets(text) for name, text in h.files.items()}
        for h in result.rendered.hosts
    }
    return jsonify(
        {
            "revision": revision.number if revision else None,
            "hosts": hosts,
            "warnings": field_errors(result.warnings),
        }
    )


@bp.get("/diff")
@token_required("viewer")
def diff() -> Any:
    db, environment = get_db(), settings().environment
    current = store.current_revision(db, environment)
    deployed = revisions.deployed_revision(db, environment)
    diffs = revisions.diff_to_deployed(db, environment)
    return jsonify(
        {
            "revision": current.number if current else None,
            "deployed_revision": deployed.number if deployed else None,
            **diff_report(diffs),
        }
    )


@bp.post("/plan")
@token_required("viewer")
@expensive()
@pauses_collection
def plan() -> Any:
    body = json_body()
    db, environment = get_db(), settings().environment
    # {"revision": N} plans a saved revision (validated by its save: nothing is parsed or
    # validated again); {"model": ...} a candidate document.
    if "revision" in body:
        if "model" in body:
            raise BadRequest("send `model` or `revision`, not both", "revision")
        number = optional_int(body, "revision")
        if number is None or number < 1:
            raise BadRequest("`revision` must be a revision number (1 or more)", "revision")
        planned = plans.plan_revision(db, environment, number)
    else:
        number = None
        planned = plans.plan_document(db, environment, model_field(body))
    found = planned.review
    return jsonify(
        {
            "valid": True,
            "warnings": field_errors(found.loaded.warnings),
            "planned_revision": number,
            "revision": found.current.number if found.current else None,
            "deployed_revision": found.deployed.number if found.deployed else None,
            "against_current": diff_report(found.against_current),
            "against_deployed": diff_report(found.against_deployed),
            "changes": [c.as_dict() for c in found.changes],
            "proof": planned.proof_summary(),
        }
    )


@bp.get("/revisions")
@token_required("viewer")
def list_revisions() -> Any:
    limit = query_int("limit", 50, 1, MAX_PAGE)
    offset = query_int("offset", 0, 0)
    page = store.list_revisions(get_db(), settings().environment, limit, offset)
    return jsonify(
        {
            "environment": settings().environment,
            "limit": limit,
            "offset": offset,
            "revisions": [revision_summary(r) for r in page],
        }
    )


@bp.get("/revisions/<int:number>")
@token_required("viewer")
def get_revision(number: int) -> Any:
    revision = store.get_revision(get_db(), settings().environment, number)
    return jsonify(revision_summary(revision) | {"model": revisions.revision_document(revision)})


def revision_summary(revision: Revision) -> dict[str, Any]:
    """Return what the API says about a revision, without its model."""
    parent = get_db().get(Revision, revision.parent_id) if revision.parent_id else None
    return {
        "number": revision.number,
        "environment": revision.environment,
        "author": revision.author,
        "message": revision.message,
        "created_at": revision.created_at.isoformat(),
        "hash": revision.content_hash,
        "parent": parent.number if parent else None,
    }


def diff_report(diffs: list[FileDiff]) -> dict[str, Any]:
    """Return {changed, files[{host, file, status, lines}]} (secrets already masked)."""
    return {
        "changed": has_changes(diffs),
        "files": [
            {"host": d.host, "file": d.file, "status": d.status, "lines": d.lines} for d in diffs
        ],
    }
