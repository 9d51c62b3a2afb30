"""Model pages for resolvers, a pool's server templates and a frontend's binds."""

from __future__ import annotations

from flask import Flask

from .ui_support import document, post_form

CONSUL_SRV = "_http._tcp.app.service.consul"


def item(app: Flask, kind: str, name: str) -> dict:
    return next(i for i in document(app)[kind] if i["name"] == name)


def test_a_resolver_then_a_pool_that_follows_dns_with_server_templates(app: Flask, as_role) -> None:
    client = as_role("operator")
    response = post_form(
        client,
        "/model/resolvers/+new",
        {
            "name": "consul",
            "nameservers.0.address": "127.0.0.1",
            "nameservers.0.port": "8600",
            "nameservers.1.address": "",
            "nameservers.1.port": "53",
            "timeouts.resolve": "500ms",
        },
    )
    assert response.headers["Location"] == "/model/resolvers/consul"
    assert item(app, "resolvers", "consul") == {
        "name": "consul",
        "nameservers": [{"address": "127.0.0.1", "port": 8600}],
        "timeouts": {"resolve": "500ms"},
    }
    pool = {
        "name": "svc",
        "resolvers": "consul",
        "servers.0.name": "svc1",
        "servers.0.address": "svc1.node.consul",
        "servers.0.port": "8080",
    }
    assert post_form(client, "/model/pools/+new", pool).status_code == 302
    template = {"name": "web", "count": "5", "dns_name": CONSUL_SRV, "weight": "100"}
    response = post_form(client, "/model/pools/svc/server_templates/+new", template)
    assert response.status_code == 302
    assert item(app, "pools", "svc")["server_templates"] == [
        {"name": "web", "count": 5, "dns_name": CONSUL_SRV}
    ]
    assert "consul" in client.get("/model/pools/svc").get_data(as_text=True)
    assert 'href="/model/resolvers/"' in client.get("/model/pools/").get_data(as_text=True)


def test_a_template_in_a_pool_without_resolvers_is_refused_with_the_reason(as_role) -> None:
    template = {"name": "web", "count": "2", "dns_name": CONSUL_SRV}
    response = post_form(as_role("operator"), "/model/pools/app/server_templates/+new", template)
    assert response.status_code == 422
    assert "the pool needs resolvers" in response.get_data(as_text=True)


def test_binds_are_added_to_a_frontend_by_position(app: Flask, as_role) -> None:
    client = as_role("operator")
    post_form(
        client, "/model/frontends/web/binds/+new", {"address": "*", "port": "8081", "tls": "1"}
    )
    post_form(
        client,
        "/model/frontends/web/binds/+new",
        {"unix_socket": "/run/haproxy/web.sock", "mode": "660", "accept_proxy": "1", "tls": "1"},
    )
    assert item(app, "frontends", "web")["binds"] == [
        {"address": "*", "port": 8081},
        {"unix_socket": "/run/haproxy/web.sock", "mode": "660", "accept_proxy": True},
    ]
    post_form(client, "/model/frontends/web/binds/0/delete", {}, page="/model/frontends/web")
    assert item(app, "frontends", "web")["binds"] == [
        {"unix_socket": "/run/haproxy/web.sock", "mode": "660", "accept_proxy": True}
    ]


def test_a_resolver_may_ask_the_hosts_resolv_conf_alone(app: Flask, as_role) -> None:
    client = as_role("operator")
    fields = {"name": "host-dns", "nameservers.0.address": "", "nameservers.0.port": "53"}
    # Neither a nameserver nor the host's resolv.conf: refused, saying both ways out.
    response = post_form(client, "/model/resolvers/+new", fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "needs at least one nameserver, or parse_resolv_conf: true" in page
    response = post_form(client, "/model/resolvers/+new", fields | {"parse_resolv_conf": "1"})
    assert response.headers["Location"] == "/model/resolvers/host-dns"
    assert item(app, "resolvers", "host-dns") == {"name": "host-dns", "parse_resolv_conf": True}
