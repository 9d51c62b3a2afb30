"""`bind unix@...` lines, as written by hand, imported as a frontend's unix-socket binds.

The original is proven with the real `haproxy -c`; the rendered import must load too.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from controlplane.check import check_rendered
from controlplane.config_import.importer import import_hosts, read_dir
from controlplane.model.loader import validate_data
from controlplane.render import render_model
from controlplane.usecases.config_import import import_dir
from tests.config_import.handwritten_pair import write_pair

HAPROXY = """defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind unix@/run/haproxy/local.sock mode 600 accept-proxy
    bind 198.18.0.100:80
{more}
    default_backend app

backend app
    server app1 198.18.0.20:8080
"""


def _folder(folder: Path, more: str = "") -> Path:
    return write_pair(folder, HAPROXY.format(more=more))


def test_a_unix_socket_bind_keeps_its_path_mode_and_proxy_protocol(tmp_path: Path) -> None:
    result = import_dir(_folder(tmp_path), prove=True)
    (fe,) = result.model["frontends"]
    # The socket listed first still leaves the VIP bind as the frontend's own.
    assert (fe["vip"], fe["port"]) == ("198.18.0.100", 80)
    assert fe["binds"] == [
        {"unix_socket": "/run/haproxy/local.sock", "mode": "600", "accept_proxy": True}
    ]
    assert result.exit_status == 0, result.report.lines()
    model = validate_data(yaml.safe_load(result.yaml_text)).model
    rendered = render_model(model)
    check_rendered(rendered).raise_for_failures()
    cfg = rendered.hosts[0].files["haproxy.cfg"]
    assert "    bind unix@/run/haproxy/local.sock mode 600 accept-proxy\n" in cfg


def test_a_socket_outside_haproxys_runtime_folder_is_reported(tmp_path: Path) -> None:
    line = "bind /var/run/haproxy-local.sock user haproxy"
    imported = import_hosts(read_dir(_folder(tmp_path, f"    {line}")))
    dropped = [str(i) for i in imported.report.items if i.outcome == "dropped"]
    assert dropped == [f"dropped: lb1/haproxy.cfg:10: {line} -- bind option 'user'"]
    line = "bind unix@/var/run/haproxy-local.sock"
    imported = import_hosts(read_dir(_folder(tmp_path / "2", f"    {line}")))
    dropped = [str(i) for i in imported.report.items if i.outcome == "dropped"]
    assert dropped == [
        f"dropped: lb1/haproxy.cfg:10: {line} -- a unix socket the model holds is a file "
        "name in /run/haproxy/"
    ]
    assert imported.report.exit_status == 1
