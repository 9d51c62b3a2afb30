"""Helpers shared by tests (imported as tests.support)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from controlplane.errors import ModelInvalid
from controlplane.model import LoadedModel, parse_document, validate_data
from controlplane.store import Actor

ROOT = Path(__file__).parent.parent
MODELS = Path(__file__).parent / "golden_inputs"  # the models whose output tests/golden/ holds
EXAMPLE = ROOT / "inventory" / "example" / "lb.yaml"
SEED = Actor("seed", "admin", via="cli")  # who imports the models tests start from

needs_binaries = pytest.mark.skipif(
    not (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists())
    or not (shutil.which("keepalived") or Path("/usr/sbin/keepalived").exists()),
    reason="haproxy and keepalived binaries are not installed (make test installs them)",
)


def load_yaml(path: Path) -> dict[str, Any]:
    """Return a document parsed exactly as lbctl parses it."""
    return parse_document(path.read_text(), str(path))


def model_errors(data: dict[str, Any]) -> list[str]:
    """Return the error lines a document produces ('path: message'), [] when valid."""
    try:
        validate_data(data)
    except ModelInvalid as exc:
        return [str(e) for e in exc.errors]
    return []


def valid(data: dict[str, Any]) -> LoadedModel:
    return validate_data(data)
