"""Fixtures for the admin app: a fresh store per test, users of every role, tokens, clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from controlplane import store
from controlplane.web import create_app

from ..support import EXAMPLE

ROLES = ("viewer", "operator", "admin")
PASSWORD = "a-long-test-password"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a new SQLite store seeded with the example model, one user per role."""
    app = create_app(
        home=tmp_path / "instance",
        environment="example",
        inventory=EXAMPLE.parent / "hosts.yml",
        secure_cookies=False,
        admin_password=None,
    )
    app.config["TESTING"] = True
    factory = app.extensions["lbctl.sessions"]
    with factory.begin() as session:
        for role in ROLES:
            store.create_user(session, role, PASSWORD, role)
        store.import_yaml(session, "example", EXAMPLE.read_text(), "seed", "Example", None)
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Return the CSRF token a page's form carries."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def log_in(client: FlaskClient, name: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def as_role(app: Flask):
    """Return a function giving a test client logged in with the given role."""

    def make(role: str) -> FlaskClient:
        client = app.test_client()
        log_in(client, role)
        return client

    return make


@pytest.fixture
def tokens(app: Flask) -> dict[str, str]:
    """Return an API token per role (plaintext, as shown once at creation)."""
    found = {}
    with app.extensions["lbctl.sessions"].begin() as session:
        for role in ROLES:
            user = store.get_user(session, role)
            _, plaintext = store.create_token(session, user, f"{role}-token", role)
            found[role] = plaintext
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
