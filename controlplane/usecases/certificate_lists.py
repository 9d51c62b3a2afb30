"""The certificates a model file names (file flow), as `lbctl cert list MODEL` prints them.

The store's own list is stored_files.certificates_by_expiry; both give the same fields.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ..model import load_model_file
from ..model.certificates import inspect_certificate
from ..model.file_flow import read_model_files


def file_flow_certificates(path: Path | str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Return the metadata of every certificate the model file reads with `file:`.

    Soonest to expire first; one that does not parse gets `error` instead of metadata,
    and an expired one is listed too (with negative days left): a list shows, it does
    not refuse. Raises ModelInvalid when the model or a file cannot be read.
    """
    loaded = load_model_file(path)
    contents = read_model_files(loaded.model, path)
    views: list[dict[str, Any]] = []
    for certificate in loaded.model.certificates:
        text = contents.get("certificate", certificate.name)
        if text is None:
            continue  # store flow or ACME: the control plane holds it
        report = inspect_certificate(text, certificate.name, now=now)
        if report.info is None:
            views.append({"name": certificate.name, "error": report.errors[0].message})
            continue
        info = report.info.to_dict(now)
        views.append(info | {"kind": "certificate", "file": certificate.file})
    return sorted(views, key=lambda v: (v.get("days_left", -(10**9)), v["name"]))
