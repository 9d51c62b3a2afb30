"""`lbctl validate` loads only what validating needs, and runs without GC pauses safely."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from controlplane.cli.group import main
from controlplane.cli.one_shot import without_gc_pauses

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory" / "example" / "lb.yaml"

# A fresh interpreter runs the command, then reports which modules it had imported.
_RUN = """
import json, sys
from controlplane.cli.group import main
try:
    main([sys.argv[1], sys.argv[2]], standalone_mode=False)
finally:
    print(json.dumps(sorted(sys.modules)))
"""

NEVER_FOR_VALIDATE = ("flask", "sqlalchemy", "ansible_runner", "cryptography")


def _modules_after(command: str, path: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, command, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_validate_imports_no_web_store_deploy_or_crypto():
    loaded = _modules_after("validate", EXAMPLE)
    assert "pydantic" in loaded  # the command did run
    assert not loaded & set(NEVER_FOR_VALIDATE), loaded & set(NEVER_FOR_VALIDATE)


def test_validate_does_not_load_the_renderer():
    loaded = _modules_after("validate", EXAMPLE)
    assert "jinja2" not in loaded


def test_the_rendered_file_names_are_the_renderers():
    from controlplane.render import HAPROXY_FILE, KEEPALIVED_FILE
    from controlplane.usecases.files import RENDERED_FILES

    assert RENDERED_FILES == (HAPROXY_FILE, KEEPALIVED_FILE)


def test_gc_is_restored_after_the_block():
    assert gc.isenabled()
    with without_gc_pauses():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_gc_is_restored_when_the_command_fails(tmp_path: Path):
    model = tmp_path / "lb.yaml"
    model.write_text("pools: [{name: a}]\n")
    result = CliRunner().invoke(main, ["validate", str(model)])
    assert result.exit_code == 1
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_gc_stays_off_when_it_was_off():
    gc.disable()
    try:
        with without_gc_pauses():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
