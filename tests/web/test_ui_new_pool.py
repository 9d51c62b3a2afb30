"""The new-pool form: a first server or a first server template, either may be left empty."""

from __future__ import annotations

from flask import Flask

from controlplane.check import check_rendered
from controlplane.model import validate_data
from controlplane.render import render_model
from tests.support import needs_binaries

from .ui_support import document, newest, post_form

CONSUL_SRV = "_http._tcp.app.service.consul"
RESOLVER = {
    "name": "consul",
    "nameservers.0.address": "127.0.0.1",
    "nameservers.0.port": "8600",
    "nameservers.1.port": "53",
}


def pools(app: Flask) -> dict[str, dict]:
    return {p["name"]: p for p in document(app)["pools"]}


def _input_block(page: str, name: str) -> str:
    label = f'<label for="f-{name.replace(".", "-")}">'
    start = page.index(label)
    return page[start : page.index("\n</div>", start)]


@needs_binaries
def test_a_pool_is_created_with_a_server_template_and_no_server(app: Flask, as_role) -> None:
    client = as_role("operator")
    assert post_form(client, "/model/resolvers/+new", RESOLVER).status_code == 302
    pool = {
        "name": "svc",
        "resolvers": "consul",
        "server_templates.0.name": "web",
        "server_templates.0.count": "4",
        "server_templates.0.dns_name": CONSUL_SRV,
    }
    response = post_form(client, "/model/pools/+new", pool)
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = pools(app)["svc"]
    assert saved["servers"] == []  # the schema asks for the key; templates fill the pool
    assert saved["server_templates"] == [{"name": "web", "count": 4, "dns_name": CONSUL_SRV}]
    assert haproxy_failures(app) == []


def test_the_first_server_inputs_are_optional_on_the_new_pool_form(as_role) -> None:
    page = as_role("operator").get("/model/pools/+new").get_data(as_text=True)
    server = _input_block(page, "servers.0.name")
    assert 'class="req"' not in server
    assert "or a first server template" in server
    assert 'name="server_templates.0.dns_name"' in page


def test_a_pool_with_neither_is_refused_at_the_first_server_input(app: Flask, as_role) -> None:
    before = newest(app).number
    response = post_form(as_role("operator"), "/model/pools/+new", {"name": "empty"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "or server_templates to fill the pool from DNS" in _input_block(page, "servers.0.name")
    assert "Not saved: the model refused" not in page  # the error is at its input only
    assert newest(app).number == before


def test_a_bad_first_template_is_shown_at_its_input(app: Flask, as_role) -> None:
    client = as_role("operator")
    post_form(client, "/model/resolvers/+new", RESOLVER)
    before = newest(app).number
    pool = {
        "name": "svc",
        "resolvers": "consul",
        "server_templates.0.name": "web",
        "server_templates.0.count": "0",
        "server_templates.0.dns_name": CONSUL_SRV,
    }
    response = post_form(client, "/model/pools/+new", pool)
    assert response.status_code == 422
    block = _input_block(response.get_data(as_text=True), "server_templates.0.count")
    assert "field-error" in block
    assert newest(app).number == before


def haproxy_failures(app: Flask) -> list[str]:
    """Return what the real haproxy -c / keepalived -t say against the newest model."""
    report = check_rendered(render_model(validate_data(document(app)).model))
    return [f"{c.tool} {c.host}/{c.file}: {c.output}" for c in report.failures]
