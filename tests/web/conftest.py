"""Fixtures for the admin app: a fresh store per test, users of every role, tokens, clients."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from controlplane import store
from controlplane.usecases import revisions
from controlplane.web import create_app

from ..support import EXAMPLE, SEED

ROLES = ("viewer", "operator", "admin")
PASSWORD = "a-long-test-password"
CHEAP_SCRYPT = "scrypt:1024:8:1"


def _new_app(home: Path) -> Flask:
    return create_app(
        home=home,
        environment="example",
        inventory=EXAMPLE.parent / "hosts.yml",
        secure_cookies=False,
        admin_password=None,
    )


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance folder made once: migrated store, example model, one user per role.

    Tests copy it: migrating and hashing three passwords per test would triple the run.
    """
    home = tmp_path_factory.mktemp("web-template") / "instance"
    factory = _new_app(home).extensions["lbctl.sessions"]
    with factory.begin() as session:
        for role in ROLES:
            user = store.create_user(session, role, PASSWORD, role)
            # Every login checks the stored hash at its own cost: 0.25 s of CPU at lbctl's
            # scrypt:32768, hundreds of logins in the suite. The fixture users' hashes are
            # cheap; the app's own hashing (new users, the unknown-name check) is unchanged.
            user.password_hash = generate_password_hash(PASSWORD, method=CHEAP_SCRYPT)
        revisions.import_yaml(session, "example", EXAMPLE.read_text(), SEED, "Example", None)
    factory.kw["bind"].dispose()  # closes SQLite cleanly (WAL checkpointed) before copies
    return home


@pytest.fixture
def app(tmp_path: Path, seeded_home: Path) -> Iterator[Flask]:
    """An app on its own copy of the seeded store (example model, one user per role)."""
    home = tmp_path / "instance"
    shutil.copytree(seeded_home, home)
    app = _new_app(home)
    app.config["TESTING"] = True
    yield app
    app.extensions["lbctl.sessions"].kw["bind"].dispose()


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


@pytest.fixture
def refusing_inventory(app: Flask, tmp_path: Path) -> Path:
    """Point the app at an inventory whose hosts refuse SSH at once (127.0.0.1 port 1)."""
    path = tmp_path / "refusing" / "hosts.yml"
    path.parent.mkdir()
    hosts = "\n".join(
        f"        {h}: {{ansible_host: 127.0.0.1, ansible_port: 1}}" for h in ("lb1", "lb2")
    )
    path.write_text(
        "all:\n  children:\n    lb:\n      hosts:\n"
        f"{hosts}\n"
        "      vars: {ansible_user: deploy, ansible_python_interpreter: /usr/bin/python3}\n"
    )
    app.config["LBCTL"] = dataclasses.replace(app.config["LBCTL"], inventory=path)
    return path
