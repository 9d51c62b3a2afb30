"""A viewer cannot read the control plane's secrets or run code through `extra`.

Each vector of the report, as a viewer would send it: through every API endpoint that
takes a model, and through the UI preview of a revision stored before the fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from controlplane import store
from tests.support import needs_binaries
from tests.web.conftest import bearer

pytestmark = needs_binaries

SECRETS = {
    "LBCTL_SECRET_KEY": "flask-key-that-must-stay-home",
    "LBCTL_DATABASE_URL": "postgresql://lbctl:db-password-9@127.0.0.1/lbctl",
    "LBCTL_METRICS_TOKEN": "metrics-token-that-must-stay-home",
    "LBCTL_ADMIN_PASSWORD": "admin-password-that-must-stay-home",
}
ENDPOINTS = ["/api/v1/validate", "/api/v1/render", "/api/v1/plan"]


def _vectors(marker: Path) -> dict[str, str]:
    names = "|".join(f"${{{n}}}" for n in SECRETS)
    return {
        "alert": f'.alert "{names}"',
        "notice": f'.notice "{names}"',
        "quoted": f'http-request set-header X-Leak "{names}"',
        "env-fetch": "http-request set-header X-Leak %[env(LBCTL_SECRET_KEY)]",
        "lua-load": f"lua-load {marker.parent / 'evil.lua'}",
        "setenv": 'setenv X "${LBCTL_SECRET_KEY}"',
        "errorfile": "errorfile 503 /proc/self/environ",
    }


@pytest.fixture
def secrets_in_environment(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets in the environment of an app already made (as `lbctl serve` has them)."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def lua_marker(tmp_path: Path) -> Path:
    marker = tmp_path / "lua-ran"
    (tmp_path / "evil.lua").write_text(f'io.open("{marker}", "w"):write("ran")\n')
    return marker


def _model(client: FlaskClient, token: str) -> dict[str, Any]:
    return client.get("/api/v1/model", headers=bearer(token)).get_json()["model"]


def _assert_no_secret(text: str) -> None:
    for value in SECRETS.values():
        assert value not in text
    assert "db-password-9" not in text


@pytest.mark.usefixtures("secrets_in_environment")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "vector", ["alert", "notice", "quoted", "env-fetch", "lua-load", "setenv", "errorfile"]
)
def test_a_viewer_gets_a_field_error_and_no_secret(
    client: FlaskClient,
    tokens: dict[str, str],
    lua_marker: Path,
    endpoint: str,
    vector: str,
) -> None:
    model = _model(client, tokens["viewer"])
    model["settings"] = {"extra": [_vectors(lua_marker)[vector]]}
    response = client.post(endpoint, json={"model": model}, headers=bearer(tokens["viewer"]))
    body = response.get_data(as_text=True)
    _assert_no_secret(body)
    assert not lua_marker.exists()
    answer = json.loads(body)
    if endpoint == "/api/v1/validate":
        assert answer["valid"] is False
        assert [e["path"] for e in answer["errors"]] == ["settings.extra[0]"]
    else:
        assert response.status_code == 422
        assert [d["path"] for d in answer["details"]] == ["settings.extra[0]"]


@pytest.mark.usefixtures("secrets_in_environment")
def test_saving_a_vector_is_refused_and_writes_nothing(
    client: FlaskClient, tokens: dict[str, str], lua_marker: Path
) -> None:
    current = client.get("/api/v1/model", headers=bearer(tokens["admin"])).get_json()
    model = current["model"]
    model["settings"] = {"extra": [_vectors(lua_marker)["alert"]]}
    response = client.put(
        "/api/v1/model",
        json={"model": model, "base_revision": current["revision"], "message": "x"},
        headers=bearer(tokens["admin"]),
    )
    _assert_no_secret(response.get_data(as_text=True))
    assert response.status_code == 422
    after = client.get("/api/v1/model", headers=bearer(tokens["admin"])).get_json()
    assert after["revision"] == current["revision"]


@pytest.mark.usefixtures("secrets_in_environment")
def test_the_ui_preview_of_a_stored_revision_holding_a_vector_leaks_nothing(
    app: Flask, as_role: Any, lua_marker: Path
) -> None:
    vector = _vectors(lua_marker)["alert"]
    with app.extensions["lbctl.sessions"].begin() as session:
        revision = session.scalars(select(store.Revision)).one()
        document = json.loads(revision.content)
        document["settings"] = {"extra": [vector]}
        revision.content = json.dumps(document)  # as if saved before `extra` was checked
    page = as_role("viewer").get("/preview").get_data(as_text=True)
    _assert_no_secret(page)
    assert "settings.extra[0]" in page
    assert not lua_marker.exists()
