"""The ACME challenge route: printed on a pair's port-80 frontend, proven by haproxy -c."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from controlplane.acme import placeholder_certificate
from controlplane.check import check_rendered
from controlplane.model import validate_data
from controlplane.model.config_files import FileContents
from controlplane.render import render_model
from controlplane.render.acme import CHALLENGE_MAP_KEY, challenge_frontends
from tests.lab.deploying import LAB_MODEL

MAP = "/etc/haproxy/lbctl/maps/_acme-challenges.map"
ROUTE = (
    'http-request return status 200 content-type text/plain lf-string "%[path,field(4,/),'
    f'map({MAP})]" if {{ path_beg /.well-known/acme-challenge/ }} '
    f"{{ path,field(4,/),map({MAP}) -m found }}"
)
BASE = yaml.safe_load(LAB_MODEL.read_text())


def with_acme(served: bool = True) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["certificates"] = [{"name": "www", "acme": {"domains": ["www.example.com"]}}]
    if served:
        data["frontends"].append(
            {"name": "web-tls", "vip_pair": "edge", "port": 443, "mode": "http",
             "default_pool": "app", "tls": {"certificates": ["www"]}}
        )  # fmt: skip
    return data


def contents() -> FileContents:
    return FileContents({("certificate", "www"): placeholder_certificate(["www.example.com"])})


def frontend_block(cfg: str, name: str) -> str:
    return cfg.split(f"\nfrontend {name}\n", 1)[1].split("\n\n", 1)[0]


def test_the_port_80_frontend_of_a_pair_serving_acme_answers_challenges() -> None:
    model = validate_data(with_acme()).model
    rendered = render_model(model, contents())
    for host in rendered.hosts:
        cfg = host.files["haproxy.cfg"]
        assert ROUTE in frontend_block(cfg, "web")
        assert ROUTE not in frontend_block(cfg, "web-tls")
        assert ROUTE not in frontend_block(cfg, "app-direct")
        assert CHALLENGE_MAP_KEY in host.attached
    assert challenge_frontends(model, "edge") == ["web"]


def test_the_route_and_its_empty_map_pass_haproxy_check() -> None:
    report = check_rendered(render_model(validate_data(with_acme()).model, contents()))
    assert report.failures == []


def test_the_route_comes_before_the_frontend_s_own_rules() -> None:
    data = with_acme()
    data["frontends"][0]["extra"] = ["http-request redirect scheme https code 301"]
    cfg = render_model(validate_data(data).model, contents()).hosts[0].files["haproxy.cfg"]
    block = frontend_block(cfg, "web")
    assert block.index(ROUTE) < block.index("http-request redirect scheme https")


def test_no_route_and_no_map_while_no_frontend_serves_an_acme_certificate() -> None:
    rendered = render_model(validate_data(with_acme(served=False)).model)
    for host in rendered.hosts:
        assert "acme-challenge" not in host.files["haproxy.cfg"]
        assert CHALLENGE_MAP_KEY not in host.attached


def test_a_model_without_acme_renders_as_before() -> None:
    cfg = render_model(validate_data(copy.deepcopy(BASE)).model).hosts[0].files["haproxy.cfg"]
    assert "acme" not in cfg
