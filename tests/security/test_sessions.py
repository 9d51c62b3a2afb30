"""Logins are sessions the server can end: logout, a password change, disabling, 12 hours."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from controlplane import store
from controlplane.store.tables import utc_now

from ..web.conftest import csrf_token, log_in


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Return another client holding a copy of `client`'s session cookie (a stolen one)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_a_cookie_copied_before_logout_no_longer_reaches_a_page(
    app: Flask, client: FlaskClient
) -> None:
    log_in(client, "viewer")
    thief = copy_of(app, client)
    assert thief.get("/").status_code == 200  # the copy works while the login lasts
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert thief.get("/").status_code == 302


def test_the_csrf_token_from_before_the_login_is_refused_after_it(client: FlaskClient) -> None:
    before = csrf_token(client)  # what a page served before the login (or a planter) knew
    log_in(client, "viewer")
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400


def test_values_planted_in_the_session_before_login_do_not_survive_it(
    client: FlaskClient,
) -> None:
    with client.session_transaction() as planted:
        planted["planted"] = "by someone else"
    log_in(client, "viewer")
    with client.session_transaction() as after:
        assert "planted" not in after


def test_a_password_change_ends_every_login_of_the_user(app: Flask, client: FlaskClient) -> None:
    log_in(client, "viewer")
    with app.extensions["lbctl.sessions"].begin() as session:
        store.set_password(session, "viewer", "another-long-password")
    assert client.get("/").status_code == 302


def test_enabling_a_disabled_user_again_does_not_revive_their_old_login(
    app: Flask, client: FlaskClient
) -> None:
    log_in(client, "viewer")
    with app.extensions["lbctl.sessions"].begin() as session:
        store.disable_user(session, "viewer")
        store.enable_user(session, "viewer")
    assert client.get("/").status_code == 302


def test_a_login_ends_after_12_hours_however_active(app: Flask, client: FlaskClient) -> None:
    log_in(client, "viewer")
    with app.extensions["lbctl.sessions"].begin() as session:
        session.execute(
            update(store.WebSession).values(created_at=utc_now() - timedelta(hours=12, seconds=1))
        )
    assert client.get("/").status_code == 302
