"""Host-header routing written by hand keeps its meaning, port and letter case included.

`hdr(host) -i api.example.com` does not match `Host: api.example.com:80`; the model's
`host` test would (it drops the port). The original and the rendered import are served
side by side by the real HAProxy and asked the same requests.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from controlplane.usecases.config_import import import_dir
from tests.config_import.equivalence import can_run, render_import, serve_and_ask
from tests.config_import.handwritten_pair import write_pair

HAPROXY = """defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 198.18.0.100:80
    acl api hdr(host) -i api.example.com
    use_backend api if api
    use_backend shop if { hdr(host) shop.example.com }
    default_backend www

backend www
    server www1 127.0.0.1:18081

backend api
    server api1 127.0.0.1:18082

backend shop
    server shop1 127.0.0.1:18083
"""
WWW, API, SHOP = "127.0.0.1:18081", "127.0.0.1:18082", "127.0.0.1:18083"
HOSTS = [
    "api.example.com",
    "api.example.com:80",
    "API.Example.COM",
    "shop.example.com",
    "shop.example.com:80",
    "Shop.example.com",
    "www.example.com",
]


def _folder(folder: Path) -> Path:
    return write_pair(folder, HAPROXY)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result = import_dir(_folder(tmp_path_factory.mktemp("host")), prove=True)
    assert result.exit_status == 0, result.report.lines()
    return dict(yaml.safe_load(result.yaml_text))


def test_host_acls_map_to_the_whole_header(imported: dict[str, Any]) -> None:
    (web,) = imported["frontends"]
    assert web["rules"] == [
        {
            "when": {"header": {"name": "Host", "matches": r"(?i)^api\.example\.com$"}},
            "use_pool": "api",
        },
        {"when": {"header": {"name": "Host", "equals": "shop.example.com"}}, "use_pool": "shop"},
    ]


def _answers(config: str, files: dict[str, Path]) -> list[tuple[str, list[str]]]:
    requests = [
        {
            "address": "198.18.0.100",
            "port": 80,
            "tls": False,
            "method": "GET",
            "host": host,
            "path": "/",
            "headers": {},
        }
        for host in HOSTS
    ]
    answers = serve_and_ask(config, files, ["198.18.0.100"], requests)
    return [(host, a["served"]) for host, a in zip(HOSTS, answers, strict=True)]


@pytest.mark.skipif(not can_run(), reason="needs root, unshare and haproxy")
def test_a_host_with_a_port_or_other_case_is_routed_as_before(
    imported: dict[str, Any], tmp_path: Path
) -> None:
    original = _answers(HAPROXY, {})
    served = dict(original)
    # What the original does, measured: the port and (without -i) the case count.
    assert (served["api.example.com"], served["API.Example.COM"]) == ([API], [API])
    assert served["api.example.com:80"] == [WWW]
    assert (served["shop.example.com"], served["Shop.example.com"]) == ([SHOP], [WWW])
    assert served["shop.example.com:80"] == [WWW]
    rendered = render_import(imported, tmp_path / "import", "lb1")
    assert _answers(rendered.config, rendered.files) == original
    # The model's `host` test would have changed it: proof the harness sees the nuance.
    widened = copy.deepcopy(imported)
    widened["frontends"][0]["rules"][0]["when"] = {"host": "api.example.com"}
    rendered = render_import(widened, tmp_path / "widened", "lb1")
    assert dict(_answers(rendered.config, rendered.files))["api.example.com:80"] == [API]
