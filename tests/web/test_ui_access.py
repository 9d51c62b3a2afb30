"""Every UI page checks the role: anonymous -> login, too low -> 403, allowed -> 200."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import ROLES, log_in
from .ui_support import use_fake_status

# (path, lowest role allowed)
PAGES = [
    ("/", "viewer"),
    ("/status/fragment", "viewer"),
    ("/model/lb_hosts/", "viewer"),
    ("/model/lb_hosts/lb1", "viewer"),
    ("/model/lb_hosts/+new", "viewer"),
    ("/model/vip_pairs/", "viewer"),
    ("/model/vip_pairs/edge", "viewer"),
    ("/model/health_checks/", "viewer"),
    ("/model/health_checks/http-ok", "viewer"),
    ("/model/pools/", "viewer"),
    ("/model/pools/app", "viewer"),
    ("/model/pools/+new", "viewer"),
    ("/model/pools/app/servers/app1", "viewer"),
    ("/model/pools/app/servers/+new", "viewer"),
    ("/model/frontends/", "viewer"),
    ("/model/frontends/web", "viewer"),
    ("/model/frontends/web/routes/0", "viewer"),
    ("/model/frontends/web/routes/+new", "viewer"),
    ("/preview", "viewer"),
    ("/deployments", "viewer"),
    ("/history", "viewer"),
    ("/history/diff?a=1&b=1", "viewer"),
    ("/files", "viewer"),
    ("/audit", "operator"),
    ("/admin", "admin"),
]
RANK = {role: index for index, role in enumerate(ROLES)}


@pytest.fixture
def ui_app(app: Flask) -> Flask:
    use_fake_status(app)
    return app


@pytest.mark.parametrize("path", [p for p, _ in PAGES])
def test_anonymous_is_sent_to_the_login(ui_app: Flask, path: str) -> None:
    response = ui_app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_its_pages_and_403_for_the_others(ui_app: Flask, role: str) -> None:
    client = ui_app.test_client()
    log_in(client, role)
    for path, needed in PAGES:
        expected = 200 if RANK[role] >= RANK[needed] else 403
        assert client.get(path).status_code == expected, (role, path)


POSTS = [
    ("/model/pools/app/servers/app1", "operator"),
    ("/model/pools/app/servers/app1/delete", "operator"),
    ("/model/lb_hosts/+new", "operator"),
    ("/model/frontends/web/delete", "operator"),
    ("/history/1/rollback", "operator"),
    ("/deploy", "operator"),
    ("/admin/users", "admin"),
    ("/admin/users/viewer/role", "admin"),
    ("/admin/users/viewer/disable", "admin"),
    ("/admin/tokens", "admin"),
    ("/admin/tokens/1/revoke", "admin"),
    ("/files", "admin"),
    ("/files/map/hosts/remove", "admin"),
]


@pytest.mark.parametrize(("path", "needed"), POSTS)
def test_a_viewer_cannot_change_anything(as_role, path: str, needed: str) -> None:
    from .conftest import csrf_token

    client: FlaskClient = as_role("viewer")
    response = client.post(path, data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403


@pytest.mark.parametrize(("path", "needed"), [p for p in POSTS if p[1] == "admin"])
def test_an_operator_cannot_administer_users(as_role, path: str, needed: str) -> None:
    from .conftest import csrf_token

    client: FlaskClient = as_role("operator")
    response = client.post(path, data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403


@pytest.mark.parametrize(("path", "needed"), POSTS)
def test_a_post_without_csrf_token_is_refused(as_role, path: str, needed: str) -> None:
    response = as_role("admin").post(path, data={"name": "x"})
    assert response.status_code == 400


def test_the_nav_marks_the_active_page_and_hides_admin_from_operators(as_role) -> None:
    page = as_role("operator").get("/history").get_data(as_text=True)
    assert 'class="active" aria-current="page">History<' in page
    assert ">Audit<" in page and ">Admin<" not in page
    assert ">Audit<" not in as_role("viewer").get("/").get_data(as_text=True)


def test_a_viewer_sees_model_forms_read_only(as_role) -> None:
    page = as_role("viewer").get("/model/pools/app/servers/app1").get_data(as_text=True)
    assert "Read-only" in page
    assert 'name="port" value="8080" inputmode="numeric" readonly' in page
    assert ">Save<" not in page and "Delete server" not in page
