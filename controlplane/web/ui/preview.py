"""Preview: the files the current revision renders per host, and the diff to what is deployed."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ...diff import mask_secrets
from ...errors import ModelInvalid
from ...store import StoreError
from ...usecases import revisions
from ..auth import role_required
from ..db import get_db
from . import bp
from .editing import environment, head


@bp.route("/preview")
@role_required("viewer")
def preview() -> Any:
    revision = head()
    hosts: list[tuple[str, list[tuple[str, str]]]] = []
    diffs: list[Any] = []
    error = None
    db = get_db()
    if revision is not None:
        try:
            # Proving with haproxy -c happens on every deploy; the preview only shows.
            rendered = revisions.render_revision(db, revision, binary_check=False).rendered
            diffs = revisions.diff_to_deployed(db, environment())
        except ModelInvalid as invalid:
            # A revision saved before a rule was tightened: show why, never a 500.
            error = "; ".join(str(e) for e in invalid.errors)
        except StoreError as problem:  # a stored certificate cannot be decrypted
            error = str(problem)
        else:
            hosts = [
                (h.host, [(name, mask_secrets(text)) for name, text in h.files.items()])
                for h in rendered.hosts
            ]
    deployed = revisions.deployed_revision(db, environment())
    return render_template(
        "preview.html",
        revision=revision,
        deployed=deployed,
        hosts=hosts,
        diffs=diffs,
        error=error,
    )
