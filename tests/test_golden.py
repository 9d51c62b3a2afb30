"""Golden files: the rendered output of each model in tests/golden_inputs, byte for byte.

After an intended template change run `make golden` and review the diff of tests/golden/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from controlplane.model import load_model_file
from controlplane.render import render_model
from tests.support import MODELS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("LBCTL_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("model", sorted(p.stem for p in MODELS.glob("*.yaml")))
def test_rendered_files_match_golden(model: str) -> None:
    rendered = render_model(load_model_file(MODELS / f"{model}.yaml").model)
    for host in rendered.hosts:
        for name, text in host.files.items():
            golden = GOLDEN / model / host.host / name
            if UPDATE:
                golden.parent.mkdir(parents=True, exist_ok=True)
                golden.write_text(text)
            assert golden.exists(), f"{golden} missing: run `make golden` and review"
            assert text == golden.read_text(), f"{golden} differs: run `make golden` and review"
