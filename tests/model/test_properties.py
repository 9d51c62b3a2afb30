"""Properties of the model over generated documents (hypothesis; profiles in conftest.py).

- every valid document renders to files the real `haproxy -c` and `keepalived -t` accept;
- every document broken by one change is refused with an error naming the changed field,
  as a ModelInvalid (never another exception), and the CLI then writes nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from controlplane.check import check_rendered
from controlplane.cli import main
from controlplane.errors import ModelInvalid
from controlplane.model import dump_document_yaml, load_model, validate_data
from controlplane.render import render_model
from tests.model.mutations import Mutation, invalid_documents
from tests.model.strategies import CERT_DIR, valid_documents
from tests.support import EXAMPLE, ROOT, load_yaml, model_errors, needs_binaries

INVALID_EXIT = 1  # `lbctl render` and `lbctl validate` (docs/cli.md)


def _rendered_and_checked(document: dict[str, Any]) -> list[str]:
    """Return what the binaries refused (tool, host/file and output), [] when all passed."""
    report = check_rendered(render_model(validate_data(document).model))
    return [f"{c.tool} {c.host}/{c.file}:\n{c.output}" for c in report.failures]


# --- valid documents ---------------------------------------------------------------------


def test_certificates_of_generated_documents_do_not_exist_here():
    # Otherwise `check` would hand them to haproxy instead of its stand-in certificate.
    assert not Path(CERT_DIR).exists()


@given(document=valid_documents())
def test_a_valid_document_loads_the_same_from_yaml_and_json(document: dict[str, Any]) -> None:
    model = validate_data(document).model
    assert load_model(dump_document_yaml(document), "lb.yaml").model == model
    assert load_model(json.dumps(document), "lb.json").model == model


# Each example runs haproxy -c and keepalived -t on every host's files (0.1-0.3 s each).
BINARY_EXAMPLES = settings(max_examples=max(10, settings.default.max_examples // 3))


@needs_binaries
@BINARY_EXAMPLES
@given(document=valid_documents())
def test_a_valid_document_renders_files_haproxy_and_keepalived_accept(
    document: dict[str, Any],
) -> None:
    assert _rendered_and_checked(document) == []


# --- invalid documents -------------------------------------------------------------------


@given(mutation=invalid_documents())
def test_an_invalid_document_is_refused_naming_the_changed_field(mutation: Mutation) -> None:
    with pytest.raises(ModelInvalid) as refused:  # and no other exception
        validate_data(mutation.document)
    paths = [error.path for error in refused.value.errors]
    assert mutation.path in paths
    assert all(paths), "every error names a field"
    if mutation.only_there:
        assert all(
            p == mutation.path or p.startswith((f"{mutation.path}.", f"{mutation.path}["))
            for p in paths
        )


@given(mutation=invalid_documents())
def test_the_cli_refuses_an_invalid_document_and_writes_nothing(mutation: Mutation) -> None:
    with tempfile.TemporaryDirectory(prefix="lbctl-prop-") as tmp:
        model = Path(tmp, "lb.yaml")
        model.write_text(dump_document_yaml(mutation.document))
        out = Path(tmp, "out")
        result = CliRunner().invoke(main, ["render", str(model), "--out", str(out)])
        written = sorted(out.rglob("*")) if out.exists() else []
    assert result.exit_code == INVALID_EXIT, result.output
    assert isinstance(result.exception, SystemExit)  # not an uncaught error
    assert written == []
    assert f"  {mutation.path}: " in result.stderr


def test_the_installed_command_refuses_an_invalid_file_without_a_traceback(tmp_path: Path):
    document = load_yaml(EXAMPLE)
    document["pools"][0]["servers"][0]["port"] = "8080"
    document["lb_hosts"][0]["name"] = "../../etc"
    model = tmp_path / "lb.yaml"
    model.write_text(dump_document_yaml(document))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "controlplane.cli", "render", str(model), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == INVALID_EXIT, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "lb_hosts[0].name: must be 1-63 ASCII letters" in proc.stderr
    assert "pools[app].servers[app1].port: must be a whole number" in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lb.yaml"]


# --- values at the binaries' limits, found while writing the properties above ----------


@pytest.fixture
def document() -> dict[str, Any]:
    return load_yaml(EXAMPLE)


@pytest.mark.parametrize(
    ("field", "accepted", "refused"),
    [
        (("settings", "hard_stop_after"), "24d", "25d"),
        (("settings", "timeouts", "connect"), "2147483s", "2147484s"),
        (("health_checks", 0, "interval"), "596h", "597h"),
    ],
)
def test_durations_stop_at_haproxys_timer_limit(document, field, accepted, refused):
    *parents, key = field
    target = document
    for part in parents:
        target = target[part]
    target[key] = accepted
    assert model_errors(document) == []
    target[key] = refused
    [error] = model_errors(document)
    assert "must be at most 2147483647ms" in error


@needs_binaries
def test_the_longest_duration_the_model_accepts_passes_haproxy(document):
    document["settings"] = {"hard_stop_after": "2147483s", "timeouts": {"tunnel": "24d"}}
    document["health_checks"][0]["interval"] = "35791m"
    assert _rendered_and_checked(document) == []


@pytest.mark.parametrize(
    ("delay", "ok"),
    [("1ms", True), ("1000s", True), ("999us", False), ("1001s", False), ("1h", False)],
)
def test_preempt_delay_is_within_what_keepalived_reads(document, delay: str, ok: bool):
    document["vip_pairs"][0]["preempt_delay"] = delay
    expected = (
        [] if ok else [f"vip_pairs[edge].preempt_delay: keepalived needs 1ms to 1000s, got {delay}"]
    )
    assert model_errors(document) == expected


@needs_binaries
@pytest.mark.parametrize("delay", ["1ms", "1500us", "1000s"])
def test_preempt_delays_at_the_limits_pass_keepalived(document, delay: str):
    document["vip_pairs"][0]["preempt_delay"] = delay
    assert _rendered_and_checked(document) == []


def test_track_weight_stops_where_keepalived_does(document):
    document["vip_pairs"][0].update(master_priority=254, backup_priority=1, track_weight=254)
    assert model_errors(document) == ["vip_pairs[edge].track_weight: must be 0-253, got 254"]


@needs_binaries
def test_the_largest_track_weight_passes_keepalived(document):
    document["vip_pairs"][0].update(master_priority=254, backup_priority=2, track_weight=253)
    assert _rendered_and_checked(document) == []


@pytest.mark.parametrize("name", ["all", "default"])
def test_interface_names_linux_reserves_are_refused(document, name: str):
    document["lb_hosts"][0]["interface"] = name
    assert model_errors(document) == [
        f"lb_hosts[lb1].interface: Linux does not allow an interface named '{name}'"
    ]


# --- the local binary check (controlplane/check.py) with awkward interface names -------


@needs_binaries
@pytest.mark.parametrize("interface", ["a", "type"])
def test_an_interface_named_like_an_ip_keyword_passes_the_binary_check(document, interface):
    for host in document["lb_hosts"]:
        host["interface"] = interface
    assert _rendered_and_checked(document) == []


@needs_binaries
def test_an_interface_named_like_the_checks_own_stand_in_passes(document):
    for host in document["lb_hosts"]:
        host["interface"] = "lbctlchk0"
    assert _rendered_and_checked(document) == []
