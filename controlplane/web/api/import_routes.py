"""POST /api/v1/import: an existing pair's configs in, the model and the report out.

Named files come only from the request (`files`, by their absolute path on the host):
nothing a config names is read from the control plane's filesystem.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...model.export import dump_document_yaml
from ...model.secrets import mask_document
from ...usecases import config_import
from ..auth import actor, api_error, token_required
from ..db import get_db
from ..request_limits import expensive
from . import BadRequest, bp, json_body, optional_int, settings


def _text(value: Any, path: str) -> bytes:
    if not isinstance(value, str):
        raise BadRequest("must be the file's text", path)
    return value.encode()


def _hosts(body: dict[str, Any]) -> tuple[dict[str, dict[str, bytes]], dict[str, dict[str, bytes]]]:
    hosts = body.get("hosts")
    if not isinstance(hosts, dict) or not hosts:
        raise BadRequest("`hosts` must map each LB host's name to its files", "hosts")
    configs: dict[str, dict[str, bytes]] = {}
    files: dict[str, dict[str, bytes]] = {}
    for name, given in hosts.items():
        if not isinstance(given, dict):
            raise BadRequest("must be an object with haproxy.cfg", f"hosts.{name}")
        configs[name] = {
            key: _text(given[key], f"hosts.{name}.{key}")
            for key in ("haproxy.cfg", "keepalived.conf")
            if key in given
        }
        named = given.get("files", {})
        if not isinstance(named, dict):
            raise BadRequest("must map absolute paths to contents", f"hosts.{name}.files")
        files[name] = {
            str(path): _text(text, f"hosts.{name}.files") for path, text in named.items()
        }
    return configs, files


@bp.post("/import")
@token_required("operator")
@expensive()
def import_configs() -> Any:
    body = json_body()
    configs, files = _hosts(body)
    try:
        result = config_import.import_uploaded(configs, files)
    except config_import.ImportRefused as exc:
        return api_error(422, f"cannot import: {exc}")
    revision = None
    if body.get("save", True):
        db = get_db()
        message = body.get("message") or ""
        if not isinstance(message, str):
            raise BadRequest("`message` must be a string", "message")
        saved = config_import.save_import(
            db,
            settings().environment,
            actor(),
            result,
            message,
            optional_int(body, "base_revision"),
        )
        db.commit()
        revision = saved.number
    return jsonify(
        {
            "exit_status": result.exit_status,
            "counts": dict(result.report.counts),
            "report": result.report.lines(),
            # Secrets (VRRP passwords, user hashes) never leave in an answer: masked.
            "model_yaml": dump_document_yaml(mask_document(result.model)),
            "revision": revision,
        }
    )
