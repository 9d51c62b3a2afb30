"""The `lbctl` entry point: what it reads from the command line before click does."""

from __future__ import annotations

import pytest

from controlplane.cli import _model_file


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["validate", "lb.yaml"], "lb.yaml"),
        (["render", "--out", "out", "lb.yaml", "--skip-binary-check"], "lb.yaml"),
        (["render", "--skip-binary-check", "lb.yaml", "--out", "o"], "lb.yaml"),
        (["render", "--", "-odd.yaml"], "-odd.yaml"),
        (["validate", "--help"], None),
        (["diff", "lb.yaml"], None),
        (["--server", "x", "validate", "lb.yaml"], None),
        ([], None),
    ],
)
def test_the_model_file_is_found_in_the_command_line(argv: list[str], expected: str | None) -> None:
    assert _model_file(argv) == expected
