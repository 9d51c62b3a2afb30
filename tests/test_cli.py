"""The lbctl command line: exit codes, all-or-nothing writes, readable errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from controlplane.cli import main
from controlplane.model import LbModel
from tests.support import EXAMPLE, MODELS, ROOT, needs_binaries


def lbctl(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _write_model(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    mutate(data)
    path = tmp_path / "lb.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_validate_valid_model_exits_0():
    code, out, _ = lbctl("validate", str(EXAMPLE))
    assert code == 0
    assert "valid (2 lb hosts, 1 vip pairs, 2 pools, 5 servers, 3 frontends)" in out


def test_validate_invalid_model_exits_1_with_every_error_on_stderr(tmp_path):
    def breaks(data):
        data["pools"][0]["servers"][1]["port"] = 70000
        data["frontends"][0]["default_pool"] = "nope"

    code, out, err = lbctl("validate", str(_write_model(tmp_path, breaks)))
    assert code == 1 and out == ""
    assert "pools[app].servers[app2].port: must be 1-65535, got 70000" in err
    assert "Traceback" not in err


@needs_binaries
def test_render_writes_every_host_and_file(tmp_path):
    code, out, _ = lbctl("render", str(EXAMPLE), "--out", str(tmp_path / "out"))
    assert code == 0, out
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.*"))
    assert written == [
        "lb1/haproxy.cfg",
        "lb1/keepalived.conf",
        "lb2/haproxy.cfg",
        "lb2/keepalived.conf",
    ]
    assert "proven by haproxy -c and keepalived -t" in out


@needs_binaries
def test_render_writes_nothing_when_haproxy_refuses_a_file(tmp_path):
    model = _write_model(tmp_path, lambda d: d["pools"][0].update(extra=["balance nope"]))
    code, _, err = lbctl("render", str(model), "--out", str(tmp_path / "out"))
    assert code == 1
    assert "was rejected by haproxy -c" in err and "line " in err and "balance nope" in err
    assert "nothing was written" in err
    assert not (tmp_path / "out").exists()


def test_render_writes_nothing_for_an_invalid_model(tmp_path):
    model = _write_model(tmp_path, lambda d: d["lb_hosts"][0].update(name="../../etc"))
    code, _, err = lbctl("render", str(model), "--out", str(tmp_path / "out"))
    assert code == 1 and "lb_hosts[0].name" in err
    assert not (tmp_path / "out").exists()


def test_render_can_skip_the_binary_check_explicitly(tmp_path):
    code, out, _ = lbctl(
        "render", str(EXAMPLE), "--out", str(tmp_path / "o"), "--skip-binary-check"
    )
    assert code == 0 and "NOT binary-checked" in out


@needs_binaries
def test_diff_exit_codes_no_changes_changes_error(tmp_path):
    out = tmp_path / "out"
    assert lbctl("render", str(EXAMPLE), "--out", str(out))[0] == 0
    code, stdout, err = lbctl("diff", str(EXAMPLE), "--against", str(out))
    assert (code, stdout) == (0, "") and "no changes" in err

    changed = _write_model(tmp_path, lambda d: d["pools"][0]["servers"][1].update(weight=70))
    code, stdout, err = lbctl("diff", str(changed), "--against", str(out), "--color", "never")
    assert code == 1
    assert "-    server app2 198.18.0.21:8080 check weight 50" in stdout
    assert "+    server app2 198.18.0.21:8080 check weight 70" in stdout
    assert "--- a/lb1/haproxy.cfg" in stdout and "--- a/lb2/haproxy.cfg" in stdout
    assert "\x1b[" not in stdout

    code, stdout, _ = lbctl("diff", str(changed), "--against", str(out), "--color", "always")
    assert "\x1b[32m+    server app2" in stdout

    broken = _write_model(tmp_path, lambda d: d.update(pools=[]))
    assert lbctl("diff", str(broken), "--against", str(out))[0] == 2


@needs_binaries
def test_diff_never_prints_a_vrrp_password(tmp_path):
    out = tmp_path / "out"
    model = MODELS / "sticky_tls_tcp.yaml"
    assert lbctl("render", str(model), "--out", str(out))[0] == 0
    changed = tmp_path / "m.yaml"
    changed.write_text(model.read_text().replace("s3cret", "n3wpass"))
    code, stdout, _ = lbctl("diff", str(changed), "--against", str(out), "--color", "never")
    assert code == 1
    assert "s3cret" not in stdout and "n3wpass" not in stdout
    assert "-        auth_pass ********\n+        auth_pass ******** (changed)" in stdout


def test_schema_is_json_schema_of_the_model():
    code, out, _ = lbctl("schema")
    schema = json.loads(out)
    assert code == 0
    assert set(schema["properties"]) == set(LbModel.model_fields)
    assert {
        "settings",
        "lb_hosts",
        "vip_pairs",
        "health_checks",
        "pools",
        "frontends",
        "certificates",
        "ca_bundles",
        "crls",
        "maps",
        "error_pages",
    } <= set(schema["properties"])
    assert schema["$defs"]["Server"]["additionalProperties"] is False


def test_init_writes_an_example_environment_and_never_overwrites(tmp_path):
    code, _out, _ = lbctl("init", str(tmp_path / "env"))
    assert code == 0
    assert (tmp_path / "env" / "lb.yaml").read_text() == EXAMPLE.read_text()
    assert (tmp_path / "env" / "hosts.yml").exists()
    code, _, err = lbctl("init", str(tmp_path / "env"))
    assert code == 1 and "already exists" in err


def test_installed_console_script_reports_errors_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("lb_hosts: [\n")
    script = Path(sys.executable).parent / "lbctl"
    if not script.exists():
        pytest.skip("lbctl console script not installed in this environment")
    proc = subprocess.run(
        [str(script), "validate", str(bad)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 1
    assert "bad.yaml: 1 error in the model" in proc.stderr and "Traceback" not in proc.stderr


def test_diff_needs_exactly_one_of_against_or_inventory(tmp_path):
    neither = lbctl("diff", str(EXAMPLE))
    both = lbctl("diff", str(EXAMPLE), "--against", str(tmp_path), "-i", str(EXAMPLE))
    for code, _, err in (neither, both):
        assert code == 2
        assert "exactly one of --against DIR or -i INVENTORY" in err


def test_every_command_is_listed_in_the_lazy_map_and_found_there():
    import importlib

    from controlplane.cli.group import COMMAND_MODULES

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"controlplane.cli.{module}")
    assert set(main.commands) == set(COMMAND_MODULES)
    for name, module in COMMAND_MODULES.items():
        assert main.commands[name].callback.__module__ == f"controlplane.cli.{module}"


def test_validate_does_not_load_the_store_or_the_web_stack():
    code = (
        "import sys; from controlplane.cli import main\n"
        "main(['validate', 'inventory/example/lb.yaml'], standalone_mode=False)\n"
        "print(sorted({'sqlalchemy', 'flask', 'requests', 'ansible_runner'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
