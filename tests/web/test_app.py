"""The app shell: login, logout, sessions, headers."""

from __future__ import annotations

from flask.testing import FlaskClient

from .conftest import csrf_token, log_in


def test_anonymous_pages_redirect_to_the_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_wrong_password_is_refused_and_audited(client: FlaskClient, app) -> None:
    response = client.post(
        "/login", data={"name": "admin", "password": "nope", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 401
    assert "Wrong name or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"name": "admin", "password": "a-long-test-password"})
    assert response.status_code == 400


def test_login_never_redirects_off_site(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/",
        data={"name": "viewer", "password": "a-long-test-password", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_login_keeps_a_next_path_on_this_site(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login?next=%2Fhistory%3Fpage%3D2",
        data={"name": "viewer", "password": "a-long-test-password", "csrf_token": token},
    )
    assert response.headers["Location"] == "/history?page=2"


def test_logout_ends_the_session(client: FlaskClient) -> None:
    log_in(client, "viewer")
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302


def test_pages_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
