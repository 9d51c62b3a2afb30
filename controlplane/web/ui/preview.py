"""Preview: what deploying the current revision changes, per host and file, then the files
it renders, each loaded on demand by section (preview_files.py).

The diff is made once per pair of revisions and the rendering once per revision (the
revision cache); the page holds the changes and an outline, never the whole files.
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from ...errors import ModelInvalid
from ...store import StoreError
from ...usecases import revisions
from ..auth import role_required
from ..db import get_db
from . import bp
from .editing import environment, head
from .preview_files import MAX_DIFF_LINES


@bp.route("/preview")
@role_required("viewer")
def preview() -> Any:
    revision = head()
    hosts: list[tuple[str, list[tuple[str, int]]]] = []
    diffs: list[Any] = []
    error = None
    db = get_db()
    if revision is not None:
        try:
            # Proving with haproxy -c happens on every deploy; the preview only shows.
            _contents, rendered = revisions.revision_rendering(db, revision)
            diffs = revisions.diff_to_deployed(db, environment())
        except ModelInvalid as invalid:
            # A revision saved before a rule was tightened: show why, never a 500.
            error = "; ".join(str(e) for e in invalid.errors)
        except StoreError as problem:  # a stored certificate cannot be decrypted
            error = str(problem)
        else:
            hosts = [
                (h.host, [(name, text.count("\n") + 1) for name, text in h.files.items()])
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
        max_diff_lines=MAX_DIFF_LINES,
    )
