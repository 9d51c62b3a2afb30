"""Model pages: every save is a revision; model errors show next to the field; stale is refused."""

from __future__ import annotations

from flask import Flask

from .ui_support import document, newest, post_form

SERVER = {"name": "app4", "address": "198.18.0.23", "port": "8080", "weight": "100"}


def servers(app: Flask, pool: str = "app") -> dict[str, dict]:
    found = next(p for p in document(app)["pools"] if p["name"] == pool)
    return {s["name"]: s for s in found["servers"]}


def test_adding_a_server_makes_a_revision(app: Flask, as_role) -> None:
    before = newest(app).number
    response = post_form(as_role("operator"), "/model/pools/app/servers/+new", SERVER)
    assert response.status_code == 302
    assert response.headers["Location"] == "/model/pools/app"
    revision = newest(app)
    assert revision.number == before + 1
    assert revision.author == "operator" and revision.message == "Add server app4 of app"
    assert servers(app)["app4"] == {"name": "app4", "address": "198.18.0.23", "port": 8080}


def test_editing_a_server_keeps_what_the_form_does_not_show(app: Flask, as_role) -> None:
    form = {"name": "app2", "address": "198.18.0.21", "port": "9090", "weight": "50"}
    response = post_form(as_role("admin"), "/model/pools/app/servers/app2", form)
    assert response.status_code == 302
    assert servers(app)["app2"] == {
        "name": "app2",
        "address": "198.18.0.21",
        "port": 9090,
        "weight": 50,
    }


def test_a_bad_port_is_shown_next_to_the_port_and_nothing_is_saved(app: Flask, as_role) -> None:
    before = newest(app).number
    response = post_form(
        as_role("operator"), "/model/pools/app/servers/+new", SERVER | {"port": "70000"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    port = page[page.index('<label for="f-port">') : page.index('<label for="f-weight">')]
    assert 'value="70000"' in port
    assert '<div class="field-error" role="alert">must be 1-65535, got 70000</div>' in port
    assert newest(app).number == before


def test_a_stale_base_revision_is_refused(app: Flask, as_role) -> None:
    operator, admin = as_role("operator"), as_role("admin")
    page = operator.get("/model/pools/app/servers/+new").get_data(as_text=True)
    post_form(
        admin, "/model/lb_hosts/lb1", {"name": "lb1", "address": "198.18.0.10", "interface": "eth1"}
    )
    before = newest(app).number
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    base = re.search(r'name="base_revision" value="(\d+)"', page).group(1)
    response = operator.post(
        "/model/pools/app/servers/+new",
        data=SERVER | {"csrf_token": token, "base_revision": base},
        follow_redirects=True,
    )
    assert (
        "someone changed the model since you opened this page"
        in response.get_data(as_text=True).lower()
    )
    assert newest(app).number == before
    assert "app4" not in servers(app)


def test_deleting_a_pool_a_frontend_uses_saves_nothing(app: Flask, as_role) -> None:
    before = newest(app).number
    response = post_form(
        as_role("operator"), "/model/pools/app/delete", {}, page="/model/pools/app"
    )
    assert response.headers["Location"] == "/model/pools/app"
    page = as_role("operator").get("/model/pools/app")  # a new client: the flash is elsewhere
    assert page.status_code == 200
    assert newest(app).number == before


def test_a_refused_delete_explains_why(app: Flask, as_role) -> None:
    client = as_role("operator")
    post_form(client, "/model/pools/app-tcp/delete", {}, page="/model/pools/app-tcp")
    page = client.get("/model/pools/app-tcp").get_data(as_text=True)
    assert "Cannot delete pool app-tcp, nothing was saved" in page
    assert "frontends[app-direct].default_pool" in page


def test_deleting_a_server_makes_a_revision(app: Flask, as_role) -> None:
    before = newest(app).number
    client = as_role("operator")
    response = post_form(
        client, "/model/pools/app/servers/app3/delete", {}, page="/model/pools/app"
    )
    assert response.status_code == 302
    assert newest(app).number == before + 1
    assert "app3" not in servers(app)


def test_create_and_delete_a_health_check(app: Flask, as_role) -> None:
    client = as_role("operator")
    form = {"name": "tcp-fast", "type": "tcp", "path": "/", "method": "GET", "interval": "1s"}
    response = post_form(client, "/model/health_checks/+new", form)
    assert response.headers["Location"] == "/model/health_checks/tcp-fast"
    checks = {c["name"]: c for c in document(app)["health_checks"]}
    # Defaults are left out, so a tcp check does not carry http-only keys.
    assert checks["tcp-fast"] == {"name": "tcp-fast", "type": "tcp", "interval": "1s"}
    response = post_form(
        client, "/model/health_checks/tcp-fast/delete", {}, page="/model/health_checks/tcp-fast"
    )
    assert response.headers["Location"] == "/model/health_checks/"
    assert "tcp-fast" not in {c["name"] for c in document(app)["health_checks"]}


def test_a_new_pool_comes_with_its_first_server(app: Flask, as_role) -> None:
    form = {
        "name": "api",
        "balance": "leastconn",
        "servers.0.name": "api1",
        "servers.0.address": "198.18.0.30",
        "servers.0.port": "9000",
    }
    response = post_form(as_role("operator"), "/model/pools/+new", form)
    assert response.status_code == 302
    pool = next(p for p in document(app)["pools"] if p["name"] == "api")
    assert pool["servers"] == [{"name": "api1", "address": "198.18.0.30", "port": 9000}]


def test_a_new_pools_first_server_errors_show_next_to_its_inputs(as_role) -> None:
    form = {
        "name": "api",
        "servers.0.name": "api1",
        "servers.0.address": "198.18.0.30",
        "servers.0.port": "0",
    }
    response = post_form(as_role("operator"), "/model/pools/+new", form)
    page = response.get_data(as_text=True)
    port = page[page.index('<label for="f-servers-0-port">') :]
    assert "must be 1-65535, got 0" in port[: port.index("</div>") + 200]


def test_vip_pair_errors_map_to_their_inputs(app: Flask, as_role) -> None:
    form = {
        "name": "edge",
        "hosts.0": "lb1",
        "hosts.1": "lb1",
        "mode": "active-passive",
        "virtual_router_id": "51",
        "vips": "198.18.0.100/24, 300.1.1.1/24",
        "advert_interval": "1s",
        "preempt": "1",
        "unicast": "1",
    }
    response = post_form(as_role("operator"), "/model/vip_pairs/edge", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    vips = page[page.index('<label for="f-vips">') : page.index('<label for="f-advert_interval">')]
    assert "field-error" in vips
    # Cross-reference rules run once the values are valid: now the duplicate host.
    form["vips"] = "198.18.0.100/24"
    page = post_form(as_role("operator"), "/model/vip_pairs/edge", form).get_data(as_text=True)
    hosts = page[page.index('<label for="f-hosts-0">') : page.index('<label for="f-mode">')]
    assert "field-error" in hosts


def test_frontend_routes_are_added_and_removed_by_position(app: Flask, as_role) -> None:
    client = as_role("operator")
    route = {"host": "www.example.com", "path_prefix": "", "pool": "app"}
    post_form(client, "/model/frontends/web/routes/+new", route)
    web = next(f for f in document(app)["frontends"] if f["name"] == "web")
    assert web["routes"][-1] == {"host": "www.example.com", "pool": "app"}
    post_form(client, "/model/frontends/web/routes/0/delete", {}, page="/model/frontends/web")
    web = next(f for f in document(app)["frontends"] if f["name"] == "web")
    assert web["routes"] == [{"host": "www.example.com", "pool": "app"}]


def test_renaming_an_lb_host_that_a_pair_uses_is_refused_with_the_reason(as_role) -> None:
    form = {"name": "lb9", "address": "198.18.0.10", "interface": "eth0"}
    response = post_form(as_role("operator"), "/model/lb_hosts/lb1", form)
    assert response.status_code == 422
    assert "Not saved: the model refused this change." in response.get_data(as_text=True)


def test_an_unknown_item_is_404(as_role) -> None:
    client = as_role("viewer")
    assert client.get("/model/pools/nope").status_code == 404
    assert client.get("/model/things/").status_code == 404
    assert client.get("/model/frontends/web/routes/7").status_code == 404


def test_an_item_named_new_is_still_editable(app: Flask, as_role) -> None:
    client = as_role("operator")
    form = {"name": "new", "type": "tcp", "interval": "2s"}
    assert post_form(client, "/model/health_checks/+new", form).status_code == 302
    page = client.get("/model/health_checks/new").get_data(as_text=True)
    assert 'name="name" value="new"' in page and "Health check new" in page


def test_http_only_fields_are_dropped_when_a_check_becomes_tcp(app: Flask, as_role) -> None:
    form = {"name": "http-ok", "type": "tcp", "path": "/healthz", "expect_status": "204"}
    assert post_form(as_role("operator"), "/model/health_checks/http-ok", form).status_code == 302
    checks = {c["name"]: c for c in document(app)["health_checks"]}
    assert checks["http-ok"] == {"name": "http-ok", "type": "tcp"}
