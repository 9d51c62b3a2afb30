"""Parsing ahead in a second process gives the loader exactly what it would have parsed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlplane.errors import ModelInvalid
from controlplane.model import load_model_file, parse_ahead
from controlplane.model.document import parse_document
from tests.model.strategies import valid_documents

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=30,
)


@pytest.fixture
def always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse ahead whatever the size (the real threshold skips small files)."""
    monkeypatch.setattr(parse_ahead, "MIN_BYTES", 0)
    monkeypatch.delenv(parse_ahead.DISABLE_ENV, raising=False)


def _ahead(path: Path, text: str | bytes) -> tuple[Any, Any]:
    """Return (what the child sent, what parse_document gives: None when it refuses)."""
    raw = text.encode() if isinstance(text, str) else text
    path.write_bytes(raw)
    assert parse_ahead.start(str(path))
    sent = parse_ahead.take(raw, str(path))
    try:
        return sent, parse_document(raw, str(path))
    except ModelInvalid:
        return sent, None


def _typed(value: Any) -> Any:
    """Return `value` with each scalar's type beside it (True == 1 and 0.0 == -0.0 in Python)."""
    if isinstance(value, dict):
        return [(_typed(k), _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


@pytest.mark.usefixtures("always")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(st.text(min_size=1, max_size=8), DATA, min_size=1) | valid_documents())
def test_the_child_sends_the_same_document_types_and_order_kept(
    tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any]
) -> None:
    path = tmp_path_factory.mktemp("ahead") / "lb.yaml"
    sent, parsed = _ahead(path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    assert _typed(sent) == _typed(parsed)


@pytest.mark.usefixtures("always")
def test_merge_keys_and_json_are_parsed_as_the_loader_would(tmp_path: Path) -> None:
    merged = "base: &b {a: 1, b: 2}\nitem:\n  <<: *b\n  b: 3\n"
    sent, parsed = _ahead(tmp_path / "lb.yaml", merged)
    assert sent == parsed == {"base": {"a": 1, "b": 2}, "item": {"a": 1, "b": 3}}
    sent, parsed = _ahead(tmp_path / "lb.json", '{"a": [1, 2.5, true, null]}')
    assert _typed(sent) == _typed(parsed)


@pytest.mark.usefixtures("always")
def test_a_file_changed_after_the_child_read_it_is_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "lb.yaml"
    path.write_text("a: 1\n")
    assert parse_ahead.start(str(path))
    assert parse_ahead.take(b"a: 2\n", str(path)) is None


@pytest.mark.usefixtures("always")
def test_a_refused_document_sends_nothing_so_the_loader_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "lb.yaml"
    path.write_text("a: 1\na: 2\n")
    assert parse_ahead.start(str(path))
    assert parse_ahead.take(path.read_bytes(), str(path)) is None


@pytest.mark.usefixtures("always")
def test_another_file_name_is_not_taken(tmp_path: Path) -> None:
    path = tmp_path / "lb.yaml"
    path.write_text("a: 1\n")
    assert parse_ahead.start(str(path))
    assert parse_ahead.take(path.read_bytes(), str(tmp_path / "other.yaml")) is None
    parse_ahead._abandon_all()
    assert parse_ahead._pending == {}


def test_small_files_are_parsed_in_process(tmp_path: Path) -> None:
    path = tmp_path / "lb.yaml"
    path.write_text("a: 1\n")
    assert not parse_ahead.start(str(path))


@pytest.mark.usefixtures("always")
def test_the_loader_gives_the_same_model_and_errors_with_a_parse_ahead(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        from render_scale import generated_model
    finally:
        sys.path.pop(0)
    document = generated_model(100, 10)
    valid = tmp_path / "lb.yaml"
    valid.write_text(yaml.safe_dump(document))
    document["pools"][-1]["servers"][-1]["port"] = 0
    document["frontends"][0]["port"] = "x"
    invalid = tmp_path / "bad.yaml"
    invalid.write_text(yaml.safe_dump(document))
    assert parse_ahead.start(str(valid))
    ahead = load_model_file(valid)
    assert parse_ahead._pending == {}  # taken
    assert ahead == load_model_file(valid)
    assert parse_ahead.start(str(invalid))
    assert _errors(invalid) == _errors(invalid)  # the first from the child, then in-process
    assert len(_errors(invalid)) == 2


def _errors(path: Path) -> list[str]:
    with pytest.raises(ModelInvalid) as failure:
        load_model_file(path)
    return [str(e) for e in failure.value.errors]
