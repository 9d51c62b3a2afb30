"""`server-template` with `resolvers`, as written by hand, imported as the model's templates.

The originals are proven with the real `haproxy -c`; the rendered import must load too and
keep each template's slots, DNS name, port, weight and TLS.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controlplane.check import check_rendered
from controlplane.config_import.importer import Imported, import_hosts, read_dir
from controlplane.model.loader import validate_data
from controlplane.render import render_model
from controlplane.rendered_config import read_haproxy_cfg
from controlplane.usecases.config_import import ImportResult, import_dir
from tests.config_import.handwritten_pair import write_pair

# Consul's DNS interface on loopback, as its documentation's HAProxy examples use it.
HAPROXY = """global
    log /dev/log local0
    maxconn 4000

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

resolvers consul
    nameserver consul 127.0.0.1:8600
    accepted_payload_size 8192
    hold valid 5s

frontend web
    bind 198.18.0.100:80
    default_backend app

backend app
    balance roundrobin
    option httpchk GET /health
{servers}
"""
TEMPLATES = (
    "    server-template app 10 _app._tcp.service.consul resolvers consul resolve-prefer ipv4"
    " check init-addr none\n"
    "    server-template api 1-3 api.service.consul:8443 ssl verify none resolvers consul"
    " resolve-prefer ipv4 check\n"
)


def _folder(folder: Path, servers: str) -> Path:
    return write_pair(folder, HAPROXY.format(servers=servers.rstrip()))


def _import(tmp_path: Path, servers: str) -> Imported:
    return import_hosts(read_dir(_folder(tmp_path, servers)))


def _pool(imported: Imported | ImportResult) -> dict:
    (pool,) = imported.model["pools"]
    return pool


@pytest.fixture(scope="module")
def consul(tmp_path_factory: pytest.TempPathFactory) -> ImportResult:
    return import_dir(_folder(tmp_path_factory.mktemp("consul"), TEMPLATES), prove=True)


def test_templates_become_the_pools_server_templates(consul: ImportResult) -> None:
    pool = _pool(consul)
    assert pool["servers"] == []
    assert pool["server_templates"] == [
        {"name": "app", "count": 10, "dns_name": "_app._tcp.service.consul", "weight": 1},
        {
            "name": "api",
            "count": 3,
            "dns_name": "api.service.consul",
            "weight": 1,
            "port": 8443,
            "tls": True,
        },
    ]
    assert (pool["resolvers"], pool["resolve_prefer"], pool["tls_verify"]) == (
        "consul",
        "ipv4",
        "none",
    )
    assert "health_check" in pool
    assert consul.exit_status == 0, consul.report.lines()


def test_the_rendered_templates_load_and_keep_their_slots(consul: ImportResult) -> None:
    model = validate_data(yaml.safe_load(consul.yaml_text)).model
    rendered = render_model(model)
    check_rendered(rendered).raise_for_failures()
    cfg = read_haproxy_cfg(rendered.hosts[0].files["haproxy.cfg"])
    (backend,) = [s for s in cfg.sections if s.header == "backend app"]
    heads = [ln.split()[:4] for ln in backend.settings if ln.startswith("server-template ")]
    assert heads == [
        ["server-template", "app", "10", "_app._tcp.service.consul"],
        ["server-template", "api", "3", "api.service.consul:8443"],
    ]
    assert all(" check" in ln and "resolvers consul" in ln for ln in backend.settings[-2:])


def test_a_template_naming_no_preference_keeps_haproxys_ipv6_first(tmp_path: Path) -> None:
    imported = _import(
        tmp_path, "    server-template app 4 _app._tcp.service.consul resolvers consul check"
    )
    assert _pool(imported)["resolve_prefer"] == "ipv6"


@pytest.mark.parametrize(
    "line",
    [
        "server-template app 3-5 _app._tcp.service.consul resolvers consul",  # slots 3 to 5
        "server-template app 2 198.18.0.30:8080 resolvers consul",  # an address, not a name
        "server-template app 2 app.service.consul resolvers consul",  # a host name, no port
        "server-template app 2 app.service.consul:8080",  # no resolver: resolved at start only
    ],
)
def test_a_template_the_model_cannot_say_stays_verbatim(tmp_path: Path, line: str) -> None:
    servers = f"    server static 198.18.0.21:8080\n    {line}\n"
    imported = _import(tmp_path, servers)
    pool = _pool(imported)
    assert "server_templates" not in pool
    assert pool["extra"] == [line]
    kept = [i for i in imported.report.items if i.outcome == "extra"]
    assert [(str(i.where), i.text) for i in kept] == [("lb1/haproxy.cfg:24", line)]
    validate_data(imported.model)


def test_a_template_option_the_model_has_no_field_for_is_reported(tmp_path: Path) -> None:
    line = "server-template app 4 _app._tcp.service.consul resolvers consul backup"
    imported = _import(tmp_path, f"    {line}\n")
    dropped = [str(i) for i in imported.report.items if i.outcome == "dropped"]
    assert dropped == [f"dropped: lb1/haproxy.cfg:23: {line} -- server-template option 'backup'"]
    assert imported.report.exit_status == 1
