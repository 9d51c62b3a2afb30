"""Logging in: `next` never leaves the site, and guessing passwords soon hits a lockout."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from controlplane import store
from controlplane.observe.alerts import Alert

from ..web.conftest import PASSWORD, csrf_token

WRONG = "not-the-password"


def attempts(client: FlaskClient) -> Callable[..., TestResponse]:
    """Return a function posting the login form with one CSRF token (fetched once)."""
    token = csrf_token(client)

    def attempt(name: str, password: str, query: str = "") -> TestResponse:
        data = {"name": name, "password": password, "csrf_token": token}
        return client.post(f"/login{query}", data=data)

    return attempt


def locked_out(client: FlaskClient, name: str = "viewer") -> Callable[..., TestResponse]:
    """Fail the login of `name` five times (the account's budget); return the attempt maker."""
    attempt = attempts(client)
    for _ in range(5):
        attempt(name, WRONG)
    return attempt


# --- where the login goes next --------------------------------------------------------


def test_a_tab_in_next_cannot_send_the_login_off_site(client: FlaskClient) -> None:
    # Werkzeug drops the tab after the check: "/\t/evil.example" became "//evil.example".
    response = attempts(client)("viewer", PASSWORD, "?next=%2F%09%2Fevil.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_line_break_in_next_goes_to_the_dashboard_not_a_500(client: FlaskClient) -> None:
    response = attempts(client)("viewer", PASSWORD, "?next=%2F%0D%0ASet-Cookie:%20x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_backslash_in_next_cannot_send_the_login_off_site(client: FlaskClient) -> None:
    # Browsers read "/\evil.example" as "//evil.example": another host.
    response = attempts(client)("viewer", PASSWORD, "?next=%2F%5Cevil.example")
    assert response.headers["Location"] == "/"


# --- throttling ----------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(
    client: FlaskClient,
) -> None:
    attempt = locked_out(client)
    assert attempt("viewer", PASSWORD).status_code == 429
    assert client.get("/").status_code == 302  # still logged out


def test_a_locked_login_is_429_with_retry_after_and_says_when_to_try_again(
    client: FlaskClient,
) -> None:
    response = locked_out(client)("viewer", PASSWORD)
    assert response.status_code == 429
    assert 240 < int(response.headers["Retry-After"]) <= 300
    text = response.get_data(as_text=True)
    assert "Too many failed logins for this account; try again in 5 minutes." in text


def test_a_lockout_is_audited_and_alerted(app: Flask, client: FlaskClient) -> None:
    sent: list[Alert] = []
    app.extensions["lbctl.alerts"].deliver = sent.append  # the real engine, a list as webhook
    locked_out(client)
    with app.extensions["lbctl.sessions"]() as session:
        locked = [e for e in store.list_audit_entries(session) if e.action == "login.locked"]
    assert [(e.actor, e.target, e.detail["lockout"]) for e in locked] == [
        ("viewer", "account viewer", 1)
    ]
    assert [(a.kind, a.subject, a.state) for a in sent] == [
        ("login_locked", "account viewer", "firing")
    ]
    assert "locked for 5 min" in sent[0].message


def test_a_locked_attempt_is_refused_before_any_password_hash(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt = locked_out(client)
    from controlplane.store import users

    checked: list[str] = []
    real_check = users.check_password_hash

    def counted(stored: str, password: str) -> bool:
        checked.append(password)
        return real_check(stored, password)

    monkeypatch.setattr(users, "check_password_hash", counted)
    for _ in range(10):
        assert attempt("viewer", WRONG).status_code == 429
    assert checked == []  # a scrypt check took 150 ms of CPU here: a locked flood must not pay it


def test_fifty_failures_from_one_address_lock_it_for_every_name(client: FlaskClient) -> None:
    attempt = attempts(client)
    answers = [attempt(f"nobody-{i}", WRONG).status_code for i in range(50)]
    assert answers == [401] * 49 + [429]  # each name failed once: the address ran out
    refused = attempt("admin", PASSWORD)
    assert refused.status_code == 429
    assert "for your address" in refused.get_data(as_text=True)
