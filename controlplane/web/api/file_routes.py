"""API routes over the files a config uses (store flow): upload, list, read metadata, remove.

An answer holds metadata only (subject, SANs, issuer, validity, fingerprints, sizes):
never a file's text, so never a private key. Uploading and removing need an admin token.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from ... import store
from ...store import files as stored
from ...usecases import stored_files
from ..auth import actor, api_error, token_required
from ..db import get_db
from . import BadRequest, bp, json_body, settings


@bp.errorhandler(store.FileRefused)
def file_refused(exc: store.FileRefused) -> Any:
    return api_error(422, str(exc), [{"path": "content", "message": p} for p in exc.problems])


@bp.errorhandler(store.FilesKeyMissing)
@bp.errorhandler(store.FilesKeyWrong)
def files_key_problem(exc: store.StoreError) -> Any:
    # The control plane's configuration, not the request, is wrong: say so, plainly.
    return api_error(503, str(exc))


@bp.errorhandler(store.InvalidName)
def invalid_name(exc: store.InvalidName) -> Any:
    return api_error(400, str(exc), [{"path": "name", "message": str(exc)}])


@bp.get("/files")
@token_required("viewer")
def list_files() -> Any:
    kind = request.args.get("kind")
    if kind is not None:
        kind = _kind(kind)
    return jsonify({"files": stored_files.list_views(get_db(), kind)})


@bp.get("/files/<kind>/<name>")
@token_required("viewer")
def get_file(kind: str, name: str) -> Any:
    row = stored.get_file(get_db(), _kind(kind), name)
    return jsonify(stored_files.file_view(row))


@bp.put("/files/<kind>/<name>")
@token_required("admin")
def put_file(kind: str, name: str) -> Any:
    content = json_body().get("content")
    if not isinstance(content, str) or not content:
        raise BadRequest("`content` must be the file's text (PEM for certificates)", "content")
    db = get_db()
    result = stored_files.upload_file(
        db, settings().environment, actor(), _kind(kind), name, content
    )
    db.commit()
    answer = {
        "file": stored_files.file_view(result.file),
        "changed": result.changed,
        "warnings": result.warnings,
        "revision": result.revision.number if result.revision else None,
    }
    return jsonify(answer), 201 if result.changed else 200


@bp.delete("/files/<kind>/<name>")
@token_required("admin")
def delete_file(kind: str, name: str) -> Any:
    db = get_db()
    row = stored_files.remove_file(db, settings().environment, actor(), _kind(kind), name)
    db.commit()
    return jsonify({"removed": stored_files.file_view(row)})


def _kind(value: str) -> str:
    """Return the store's kind for a URL's (ca_bundle and ca-bundle both name one)."""
    kind = value.replace("-", "_")
    if kind not in store.tables.FILE_KINDS:
        kinds = ", ".join(k.replace("_", "-") for k in store.tables.FILE_KINDS)
        raise BadRequest(f"unknown file kind {value!r}: one of {kinds}", "kind")
    return kind
