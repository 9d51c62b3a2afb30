"""`lbctl import DIR`: the model on stdout or in a file, the report on stderr, exit 0/1/2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.config_import.test_mapping import _pair_dir

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory/example/lb.yaml"


def _lbctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controlplane.cli", *args], capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def rendered_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rendered")
    assert _lbctl("render", str(EXAMPLE), "--out", str(out)).returncode == 0
    return out


def test_lbctls_own_configs_import_back_to_the_same_environment(
    rendered_example: Path, tmp_path: Path
) -> None:
    proc = _lbctl("import", str(rendered_example), "-o", str(tmp_path / "lb.yaml"))
    assert proc.stderr.splitlines()[0].startswith("import: ")
    # The certificate path of the example is not in DIR/<host>/files: one line, exit 1.
    assert "missing: lb1/haproxy.cfg:63: /etc/haproxy/certs/site.pem" in proc.stderr
    assert proc.returncode == 1
    back = yaml.safe_load((tmp_path / "lb.yaml").read_text())
    original = yaml.safe_load(EXAMPLE.read_text())
    assert [h["address"] for h in back["lb_hosts"]] == ["198.18.0.10", "198.18.0.11"]
    pair = back["vip_pairs"][0]
    assert (pair["virtual_router_id"], pair["vips"]) == (51, ["198.18.0.100/24"])
    assert [(f["name"], f["port"], f["mode"], f["default_pool"]) for f in back["frontends"]] == [
        (f["name"], f["port"], f.get("mode", "http"), f["default_pool"])
        for f in original["frontends"]
    ]
    servers = {
        p["name"]: [(s["address"], s["port"], s.get("backup", False)) for s in p["servers"]]
        for p in back["pools"]
    }
    assert servers == {
        p["name"]: [(s["address"], s["port"], s.get("backup", False)) for s in p["servers"]]
        for p in original["pools"]
    }
    assert _lbctl("validate", str(tmp_path / "lb.yaml")).returncode == 0


def test_the_model_goes_to_stdout_and_the_declared_files_beside_o(tmp_path: Path) -> None:
    folder = _pair_dir(tmp_path / "in")
    proc = _lbctl("import", str(folder))
    assert proc.returncode == 1  # reqrep was dropped
    assert yaml.safe_load(proc.stdout)["vip_pairs"][0]["name"] == "VI_1"
    assert "dropped: lb1/haproxy.cfg:20: reqrep" in proc.stderr
    proc = _lbctl("import", str(folder), "-o", str(tmp_path / "out/lb.yaml"))
    assert (tmp_path / "out/files/etc/haproxy/certs/site.pem").read_text() == "PEM"


def test_binary_input_exits_2_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "lb1").mkdir()
    (tmp_path / "lb1/haproxy.cfg").write_bytes(b"global\n\x7fELF\x00\x01")
    proc = _lbctl("import", str(tmp_path))
    assert proc.returncode == 2
    assert "cannot import: lb1/haproxy.cfg:2: binary data" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_original_haproxy_refuses_exits_2_with_its_message(tmp_path: Path) -> None:
    folder = _pair_dir(tmp_path)
    cfg = folder / "lb1/haproxy.cfg"
    cfg.write_text(cfg.read_text().replace("balance leastconn", "balance no-such-algo"))
    proc = _lbctl("import", str(folder))
    assert proc.returncode == 2
    assert "lb1/haproxy.cfg fails haproxy -c as it is" in proc.stderr
    assert "no-such-algo" in proc.stderr


def test_host_option_gives_an_address_keepalived_does_not(tmp_path: Path) -> None:
    folder = _pair_dir(tmp_path)
    proc = _lbctl("import", str(folder), "--host", "lb2=198.18.0.99@eth1")
    hosts = {h["name"]: h for h in yaml.safe_load(proc.stdout)["lb_hosts"]}
    assert (hosts["lb2"]["address"], hosts["lb2"]["interface"]) == ("198.18.0.99", "eth1")
    assert _lbctl("import", str(folder), "--host", "lb9=1.2.3.4").returncode == 2
