"""`bind ... ssl crt-list FILE` written by hand: its certificates become the frontend's.

The original is proven with the real `haproxy -c` (its crt-list read from the collected
files); the rendered import must load in `haproxy -c` too.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from controlplane.check import check_rendered
from controlplane.model.file_flow import read_model_files
from controlplane.model.loader import validate_data
from controlplane.render import render_model
from controlplane.usecases.config_import import ImportResult, import_dir
from tests.config_import.handwritten_pair import write_pair
from tests.tls_material import make_ca, make_leaf

HAPROXY = """global
    crt-base /etc/haproxy/certs

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 198.18.0.100:443 ssl crt-list /etc/haproxy/sites.list alpn h2,http/1.1
    default_backend app

backend app
    server app1 198.18.0.20:8080
"""
PLAIN = "# default first\n/etc/haproxy/certs/www.pem\n\nshop.pem\n"
FILTERED = "/etc/haproxy/certs/www.pem\n/etc/haproxy/certs/shop.pem [alpn h2] shop.example.com\n"


def _folder(folder: Path, crt_list: str | None) -> Path:
    ca = make_ca()
    pems = {name: make_leaf(ca, f"{name}.example.com").bundle() for name in ("www", "shop")}
    files = {f"etc/haproxy/certs/{name}.pem": pem for name, pem in pems.items()}
    if crt_list is not None:
        files["etc/haproxy/sites.list"] = crt_list
    return write_pair(folder, HAPROXY, files)


def _loads(result: ImportResult, out: Path) -> None:
    """The import, written with its certificates and rendered, loads in haproxy -c."""
    result.write(out / "lb.yaml")
    model = validate_data(yaml.safe_load(result.yaml_text)).model
    rendered = render_model(model, read_model_files(model, out / "lb.yaml"))
    check_rendered(rendered).raise_for_failures()
    assert (
        "crt-list /etc/haproxy/lbctl/certs/web.crt-list" in rendered.hosts[0].files["haproxy.cfg"]
    )


def test_a_crt_lists_certificates_are_the_frontends(tmp_path: Path) -> None:
    result = import_dir(_folder(tmp_path, PLAIN), prove=True)
    (web,) = result.model["frontends"]
    assert web["tls"]["certificates"] == ["www", "shop"]  # the default one first
    assert web["tls"]["alpn"] == ["h2", "http/1.1"]
    declared = {c["name"]: c["file"] for c in result.model["certificates"]}
    assert declared == {
        "www": "files/etc/haproxy/certs/www.pem",
        "shop": "files/etc/haproxy/certs/shop.pem",  # crt-base applies to the list's paths
    }
    assert not [i for i in result.report.items if i.outcome in ("differs", "dropped")]
    _loads(result, tmp_path / "model")


def test_an_entrys_options_and_sni_filters_are_reported(tmp_path: Path) -> None:
    result = import_dir(_folder(tmp_path, FILTERED), prove=True)
    (web,) = result.model["frontends"]
    assert web["tls"]["certificates"] == ["www", "shop"]
    differs = [str(i) for i in result.report.items if i.outcome == "differs"]
    assert len(differs) == 1
    assert differs[0].startswith(
        "differs: lb1/haproxy.cfg:11: /etc/haproxy/sites.list:2: "
        "/etc/haproxy/certs/shop.pem [alpn h2] shop.example.com"
    )
    assert result.exit_status == 1
    _loads(result, tmp_path / "model")


def test_a_missing_crt_list_is_reported_with_the_bind_line(tmp_path: Path) -> None:
    result = import_dir(_folder(tmp_path, None), prove=True)
    lines = [str(i) for i in result.report.items]
    missing = "missing: lb1/haproxy.cfg:11: /etc/haproxy/sites.list -- not in the collected files"
    assert f"{missing} (crt-list)" in lines, lines
    assert result.exit_status == 1
