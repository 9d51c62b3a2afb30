"""POST /api/v1/import: an existing pair's configs in, the model and the report out.

Named files come only from the request (`files`, by their absolute path on the host):
nothing a config names is read from the control plane's filesystem.
POST /api/v1/import/hosts reads them from the app's inventory hosts over SSH instead
(`lbctl import -i`); both answer the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    saving = _saving(body)
    try:
        result = config_import.import_uploaded(configs, files)
    except config_import.ImportRefused as exc:
        return api_error(422, f"cannot import: {exc}")
    return _answer(result, saving)


def _host_names(body: dict[str, Any]) -> list[str] | None:
    names = body.get("hosts")
    if names is None:
        return None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise BadRequest("`hosts` must list some of the inventory's host names", "hosts")
    return names


@bp.post("/import/hosts")
@token_required("operator")
@expensive()
def import_from_hosts() -> Any:
    body = json_body(required=False)
    names = _host_names(body)
    saving = _saving(body)
    inventory = settings().inventory
    try:
        known = config_import.inventory_hosts(inventory)
        strangers = sorted(set(names or []) - set(known))
        if strangers:
            raise BadRequest(
                f"{', '.join(strangers)}: not in the inventory ({', '.join(known)})", "hosts"
            )
        result = config_import.import_from_hosts(inventory, names)
    except config_import.ImportRefused as exc:
        return api_error(422, f"cannot import: {exc}")
    return _answer(result, saving)


@dataclass(frozen=True)
class _Saving:
    """What the body says about saving: whether, with which message, on which revision."""

    save: bool
    message: str
    base_revision: int | None


def _saving(body: dict[str, Any]) -> _Saving:
    """Read the saving fields before any work, so a bad one costs no import."""
    message = body.get("message") or ""
    if not isinstance(message, str):
        raise BadRequest("`message` must be a string", "message")
    return _Saving(bool(body.get("save", True)), message, optional_int(body, "base_revision"))


def _answer(result: config_import.ImportResult, saving: _Saving) -> Any:
    """Save the import unless `save` is false; answer the report and the masked model."""
    revision = None
    if saving.save:
        db = get_db()
        saved = config_import.save_import(
            db, settings().environment, actor(), result, saving.message, saving.base_revision
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
