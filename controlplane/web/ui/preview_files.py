"""The preview's rendered files, loaded on demand: a file's outline of sections, then one
section's text at a time (small JSON answers the preview page fetches when asked).

A section starts at each line that begins at column 0 and is not a comment: `global`,
`defaults`, `frontend web`, `backend app` in haproxy.cfg; `global_defs {`,
`vrrp_instance edge {` in keepalived.conf. The 50,000-server model renders 8 MB per host
that the preview used to put in one 21 MB page; an outline page is at most
OUTLINE_PAGE sections and a section is what one pool or frontend renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, jsonify, request

from ...diff import mask_secrets
from ...errors import ModelInvalid
from ...store import Revision, StoreError, get_revision
from ...store.revision_cache import REVISIONS
from ...usecases import revisions
from ..auth import role_required
from ..db import get_db
from . import bp
from .editing import environment

OUTLINE_PAGE = 200
MAX_DIFF_LINES = 400  # per file on the preview page; more: the file's sections show them


@dataclass(frozen=True)
class Section:
    title: str
    first_line: int  # 1-based, in the whole file
    text: str  # secrets masked

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


def sections(text: str) -> list[Section]:
    """Return a rendered file cut into its sections (what precedes the first: 'header')."""
    found: list[Section] = []
    lines: list[str] = []
    title, first = "header", 1
    for number, line in enumerate(text.split("\n"), start=1):
        if line[:1].strip() and not line.startswith("#") and lines:
            found.append(Section(title, first, mask_secrets("\n".join(lines))))
            title, first, lines = line.rstrip(" {"), number, []
        elif line[:1].strip() and not line.startswith("#"):
            title = line.rstrip(" {")
        lines.append(line)
    if lines:
        found.append(Section(title, first, mask_secrets("\n".join(lines))))
    return found


def file_sections(revision: Revision, host: str, name: str) -> list[Section]:
    """Return a file of a revision's rendering by section (made once per revision and file)."""
    _contents, rendered = revisions.revision_rendering(get_db(), revision)
    files = next((h.files for h in rendered.hosts if h.host == host), None)
    if files is None or name not in files:
        abort(404)
    return REVISIONS.remember(revision, f"sections:{host}/{name}", lambda: sections(files[name]))


def _revision(number: int) -> Revision:
    try:
        return get_revision(get_db(), environment(), number)
    except StoreError:
        abort(404)


def _sections_or_error(number: int, host: str, name: str) -> list[Section] | Any:
    try:
        return file_sections(_revision(number), host, name)
    except (ModelInvalid, StoreError) as problem:
        return jsonify({"error": str(problem)}), 422


@bp.route("/preview/<int:number>/files/<host>/<name>")
@role_required("viewer")
def preview_outline(number: int, host: str, name: str) -> Any:
    """A page of a file's outline: ?offset=0 (sections skipped), OUTLINE_PAGE at most."""
    found = _sections_or_error(number, host, name)
    if not isinstance(found, list):
        return found
    raw = request.args.get("offset", "0")
    offset = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 9 else 0
    shown = found[offset : offset + OUTLINE_PAGE]
    return jsonify(
        {
            "revision": number,
            "host": host,
            "file": name,
            "total": len(found),
            "offset": offset,
            "next": offset + OUTLINE_PAGE if offset + OUTLINE_PAGE < len(found) else None,
            "sections": [
                {
                    "index": offset + i,
                    "title": s.title,
                    "first_line": s.first_line,
                    "lines": s.lines,
                }
                for i, s in enumerate(shown)
            ],
        }
    )


@bp.route("/preview/<int:number>/files/<host>/<name>/<int:index>")
@role_required("viewer")
def preview_section(number: int, host: str, name: str, index: int) -> Any:
    """One section of a rendered file, secrets masked."""
    found = _sections_or_error(number, host, name)
    if not isinstance(found, list):
        return found
    if index >= len(found):
        abort(404)
    section = found[index]
    return jsonify(
        {
            "index": index,
            "title": section.title,
            "first_line": section.first_line,
            "text": section.text,
        }
    )
