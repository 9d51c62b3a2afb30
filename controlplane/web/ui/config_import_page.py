"""The "Import files" page: an existing pair's configs uploaded, saved as a new revision.

What `lbctl import DIR` does, from the browser: each host's haproxy.cfg and keepalived.conf
and the files they name (each with its path on the host) go to the same use case as
`POST /api/v1/import`; the report is shown with the new revision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, render_template, request

from ... import store
from ...usecases import config_import
from ..auth import actor, role_required
from ..db import get_db
from . import bp
from .editing import STALE, base_revision, environment, head

HOST_SLOTS = 2  # a pair; more hosts through the API or the CLI


def _uploaded() -> tuple[dict[str, dict[str, bytes]], dict[str, dict[str, bytes]]]:
    configs: dict[str, dict[str, bytes]] = {}
    files: dict[str, dict[str, bytes]] = {}
    for slot in range(HOST_SLOTS):
        name = request.form.get(f"host{slot}", "").strip()
        if not name:
            continue
        texts = {}
        for key in ("haproxy.cfg", "keepalived.conf"):
            upload = request.files.get(f"host{slot}-{key}")
            if upload and upload.filename:
                texts[key] = upload.read()
        configs[name] = texts
        named = files.setdefault(name, {})
        paths = request.form.getlist(f"host{slot}-path")
        for path, upload in zip(paths, request.files.getlist(f"host{slot}-file"), strict=False):
            if path.strip() and upload and upload.filename:
                named[path.strip()] = upload.read()
    return configs, files


def save_import(
    importing: Callable[[], config_import.ImportResult], source: str
) -> tuple[int | None, list[str]]:
    """Run `importing` and save its model as a new revision; return its number and report.

    `source` names where the configs came from (" from lb1, lb2"). What cannot be imported,
    or a revision saved meanwhile, is flashed and nothing is saved: (None, []).
    """
    db = get_db()
    try:
        result = importing()
        saved = config_import.save_import(
            db, environment(), actor(), result, request.form.get("message", ""), base_revision()
        )
        db.commit()
    except config_import.ImportRefused as exc:
        db.rollback()
        flash(f"Not imported: {exc}", "error")
        return None, []
    except store.StaleRevision:
        db.rollback()
        flash(STALE, "error")
        return None, []
    flash(
        f"Imported{source} as revision {saved.number}. Nothing changed on the hosts: read the "
        "report, then preview the deploy.",
        "success",
    )
    return saved.number, result.report.lines()


@bp.route("/import-configs", methods=["GET", "POST"])
@role_required("operator")
def import_configs() -> Any:
    report: list[str] = []
    revision = None
    if request.method == "POST":
        configs, files = _uploaded()
        revision, report = save_import(lambda: config_import.import_uploaded(configs, files), "")
    return render_template(
        "config_import.html",
        slots=range(HOST_SLOTS),
        report=report,
        revision=revision,
        head=head(),
    )
