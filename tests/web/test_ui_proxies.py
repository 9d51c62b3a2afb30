"""Model pages for user lists, stats pages and the proxy options of pools and frontends."""

from __future__ import annotations

import re

from flask import Flask

from tests.model.test_userlists import SHA256, SHA512

from .ui_support import document, post_form


def item(app: Flask, kind: str, name: str) -> dict:
    return next(i for i in document(app)[kind] if i["name"] == name)


def test_a_user_list_is_created_then_given_users(app: Flask, as_role) -> None:
    client = as_role("operator")
    response = post_form(client, "/model/userlists/+new", {"name": "ops"})
    assert response.headers["Location"] == "/model/userlists/ops"
    response = post_form(
        client, "/model/userlists/ops/users/+new", {"name": "ann", "password": SHA512}
    )
    assert response.status_code == 302
    assert item(app, "userlists", "ops") == {
        "name": "ops",
        "users": [{"name": "ann", "password": SHA512}],
    }


def test_a_users_page_never_shows_the_hash_and_keeps_it_when_saved_unchanged(
    app: Flask, as_role
) -> None:
    client = as_role("admin")
    post_form(client, "/model/userlists/+new", {"name": "ops"})
    post_form(client, "/model/userlists/ops/users/+new", {"name": "ann", "password": SHA512})
    page = client.get("/model/userlists/ops/users/ann").get_data(as_text=True)
    assert SHA512 not in page and SHA512 not in client.get("/model/userlists/ops").get_data(
        as_text=True
    )
    masked = next(
        line for line in page.splitlines() if 'name="password"' in line and "<input" in line
    )
    post_form(
        client,
        "/model/userlists/ops/users/ann",
        {"name": "ann", "password": masked.split('value="')[1].split('"')[0]},
    )
    assert item(app, "userlists", "ops")["users"] == [{"name": "ann", "password": SHA512}]
    post_form(client, "/model/userlists/ops/users/ann", {"name": "ann", "password": SHA256})
    assert item(app, "userlists", "ops")["users"] == [{"name": "ann", "password": SHA256}]


def test_a_plaintext_password_is_refused_next_to_its_input(app: Flask, as_role) -> None:
    client = as_role("operator")
    post_form(client, "/model/userlists/+new", {"name": "ops"})
    response = post_form(
        client, "/model/userlists/ops/users/+new", {"name": "ann", "password": "hunter2"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.findall(r'<div class="field-error" role="alert">([^<]*)</div>', page)
    assert any("mkpasswd -m sha-512" in e for e in errors)
    assert not any("hunter2" in e for e in errors)  # only the input shows what was typed


def test_a_stats_page_is_created_with_its_user_list(app: Flask, as_role) -> None:
    client = as_role("operator")
    post_form(client, "/model/userlists/+new", {"name": "ops"})
    form = {"name": "ops", "vip_pair": "edge", "port": "9000", "userlist": "ops", "uri": "/stats"}
    response = post_form(client, "/model/stats_pages/+new", form | {"refresh": "10s"})
    assert response.headers["Location"] == "/model/stats_pages/ops"
    assert item(app, "stats_pages", "ops") == {
        "name": "ops",
        "vip_pair": "edge",
        "port": 9000,
        "userlist": "ops",
        "refresh": "10s",
    }
    assert "User lists" in client.get("/model/stats_pages/").get_data(as_text=True)


def test_pool_timeouts_and_server_defaults_save_as_nested_objects(app: Flask, as_role) -> None:
    form = {
        "name": "app",
        "timeouts.tunnel": "1h",
        "default_server.slow_start": "30s",
        "default_server.send_proxy": "v2",
    }
    response = post_form(as_role("operator"), "/model/pools/app", form)
    assert response.status_code == 302
    pool = item(app, "pools", "app")
    assert pool["timeouts"] == {"tunnel": "1h"}
    assert pool["default_server"] == {"slow_start": "30s", "send_proxy": "v2"}


def test_frontend_logging_and_compression_save_from_the_form(app: Flask, as_role) -> None:
    frontend = item(app, "frontends", "web")
    form = {
        "name": "web",
        "vip_pair": frontend["vip_pair"],
        "port": str(frontend["port"]),
        "default_pool": frontend.get("default_pool", ""),
        "logging.enabled": "1",
        "logging.request_id.header": "X-Request-ID",
        "compression.algorithms": "gzip",
        "forwarded_for": "1",
    }
    response = post_form(as_role("operator"), "/model/frontends/web", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = item(app, "frontends", "web")
    assert saved["logging"] == {"request_id": {"header": "X-Request-ID"}}
    assert saved["compression"] == {"algorithms": ["gzip"]}
