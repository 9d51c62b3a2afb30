"""Originals that route by map files and pattern files are proven, and their computed
backend names are never taken for pool names."""

from __future__ import annotations

from pathlib import Path

from controlplane.config_import.proof_files import PROOF_DIR
from controlplane.config_import.proof_patterns import pattern_files_for_proof
from controlplane.model import validate_data
from controlplane.usecases.config_import import import_dir
from controlplane.usecases.files import render_file
from tests.config_import.handwritten_pair import needs_tools, write_pair

MAP_ROUTED = """global
    log /dev/log local0

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 198.18.0.100:80
    http-request deny if { src -f /etc/haproxy/blocked.lst }
    http-request set-map(/etc/haproxy/hosts.map) %[req.hdr(x-host)] app if { path /learn }
    use_backend %[req.hdr(host),lower,map_dom(/etc/haproxy/hosts.map,app)]
    default_backend app

backend app
    server app1 198.18.0.20:8080

backend api
    server api1 198.18.0.21:8080
"""

COMPUTED_NAME = MAP_ROUTED.replace(
    "    http-request deny if { src -f /etc/haproxy/blocked.lst }\n"
    "    http-request set-map(/etc/haproxy/hosts.map) %[req.hdr(x-host)] app if { path /learn }\n"
    "    use_backend %[req.hdr(host),lower,map_dom(/etc/haproxy/hosts.map,app)]\n",
    "    use_backend %[req.hdr(x-pool),lower] if { req.hdr(x-pool) -m found }\n",
)

FILES = {"etc/haproxy/hosts.map": "api.example.com api\n", "etc/haproxy/blocked.lst": ""}


def test_pattern_and_map_files_move_under_the_proof_folder_and_keep_their_lines() -> None:
    collected = {"/etc/haproxy/hosts.map": b"api.example.com api\n"}
    asked: list[str] = []

    def read(path: str) -> bytes | None:
        asked.append(path)
        return collected.get(path)

    text, files = pattern_files_for_proof(MAP_ROUTED, read)
    lines = text.splitlines()
    assert len(lines) == len(MAP_ROUTED.splitlines())
    assert f"{{ src -f {PROOF_DIR}/etc/haproxy/blocked.lst }}" in text
    assert f"set-map({PROOF_DIR}/etc/haproxy/hosts.map) %[req.hdr(x-host)]" in text
    assert f"map_dom({PROOF_DIR}/etc/haproxy/hosts.map,app)]" in text
    assert text.count("/etc/haproxy/hosts.map") == text.count(f"{PROOF_DIR}/etc/haproxy/hosts.map")
    # The action's file and the converter's are one: read once, bound once.
    assert files == {
        "etc/haproxy/hosts.map": "api.example.com api\n",
        "etc/haproxy/blocked.lst": "",
    }
    assert asked.count("/etc/haproxy/hosts.map") == 1


def test_a_relative_path_stays_inside_the_proof_folder() -> None:
    text = "    use_backend %[req.hdr(host),map(../../x.map,app)]\n"
    proof, files = pattern_files_for_proof(text, lambda path: None)
    assert proof == f"    use_backend %[req.hdr(host),map({PROOF_DIR}/x.map,app)]\n"
    assert files == {"x.map": ""}


@needs_tools
def test_an_original_routing_by_a_collected_map_reads_it_as_a_declared_map(
    tmp_path: Path,
) -> None:
    result = import_dir(write_pair(tmp_path, MAP_ROUTED, FILES), prove=True)
    report = [str(item) for item in result.report.items]
    assert not [line for line in report if line.startswith("renamed:")]
    assert result.model["maps"] == [{"name": "hosts", "file": "files/etc/haproxy/hosts.map"}]
    (web,) = result.model["frontends"]
    maps = "/etc/haproxy/lbctl/maps/hosts.map"
    assert f"use_backend %[req.hdr(host),lower,map_dom({maps},app)]" in web["extra"]
    assert (
        f"http-request set-map({maps}) %[req.hdr(x-host)] app if {{ path /learn }}"
        in (web["extra"])
    )
    # An inline pattern file has no model form: that rule is dropped, with its line.
    dropped = [line for line in report if line.startswith("dropped:")]
    assert any("lb1/haproxy.cfg:12: http-request deny if { src -f" in line for line in dropped)
    assert result.report.exit_status == 1
    model_dir = tmp_path / "model"
    result.write(model_dir / "lb.yaml")
    # Rendered with the declared map read beside the model, and proven by haproxy -c.
    result_files = render_file(model_dir / "lb.yaml")
    assert not result_files.report.failures
    host = result_files.rendered.hosts[0]
    assert host.attached["maps/hosts.map"].text == "api.example.com api\n"


@needs_tools
def test_a_computed_backend_name_is_kept_as_written(tmp_path: Path) -> None:
    result = import_dir(write_pair(tmp_path, COMPUTED_NAME), prove=True)
    report = [str(item) for item in result.report.items]
    assert not [line for line in report if line.startswith(("renamed:", "dropped:"))], report
    (web,) = [fe for fe in result.model["frontends"] if fe["name"] == "web"]
    assert "use_backend %[req.hdr(x-pool),lower] if { req.hdr(x-pool) -m found }" in web["extra"]
    validate_data(result.model)
