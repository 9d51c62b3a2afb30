"""POST /api/v1/import: the configs in, the model (secrets masked) and report out, saved."""

from __future__ import annotations

import pytest

from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from tests.config_import.test_mapping import HAPROXY, KEEPALIVED
from tests.tls_material import make_ca, make_leaf

from .conftest import bearer


@pytest.fixture(autouse=True)
def files_key(monkeypatch):
    monkeypatch.setenv(FILES_KEY_ENV, new_key())


def _hosts(pem: str) -> dict:
    hosts = {}
    for name, state, priority, me, peer in (
        ("lb1", "MASTER", 150, "198.18.0.10", "198.18.0.11"),
        ("lb2", "BACKUP", 100, "198.18.0.11", "198.18.0.10"),
    ):
        hosts[name] = {
            "haproxy.cfg": HAPROXY,
            "keepalived.conf": KEEPALIVED.format(
                state=state, priority=priority, nopreempt="", me=me, peer=peer
            ),
            "files": {"/etc/haproxy/certs/site.pem": pem},
        }
    return hosts


def test_an_import_is_saved_as_a_revision_with_its_report(client, tokens) -> None:
    pem = make_leaf(make_ca(), "www.example.com").bundle()
    head = client.get("/api/v1/model", headers=bearer(tokens["viewer"])).get_json()["revision"]
    answer = client.post(
        "/api/v1/import",
        json={"hosts": _hosts(pem), "base_revision": head},
        headers=bearer(tokens["operator"]),
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["exit_status"] == 1  # reqrep was dropped
    assert any(line.startswith("dropped: lb1/haproxy.cfg:20: reqrep") for line in body["report"])
    assert "s3cret" not in body["model_yaml"]
    model = client.get("/api/v1/model", headers=bearer(tokens["viewer"])).get_json()
    assert model["revision"] == body["revision"]
    assert [c["name"] for c in model["model"]["certificates"]] == ["site"]
    assert "file" not in model["model"]["certificates"][0]  # the store holds it now


def test_a_dry_run_saves_nothing(client, tokens) -> None:
    pem = make_leaf(make_ca(), "www.example.com").bundle()
    before = client.get("/api/v1/model", headers=bearer(tokens["viewer"])).get_json()
    answer = client.post(
        "/api/v1/import",
        json={"hosts": _hosts(pem), "save": False},
        headers=bearer(tokens["operator"]),
    )
    assert answer.get_json()["revision"] is None
    after = client.get("/api/v1/model", headers=bearer(tokens["viewer"])).get_json()
    assert after["revision"] == before["revision"]


def test_a_config_that_is_not_one_is_refused_with_its_line(client, tokens) -> None:
    hosts = {"lb1": {"haproxy.cfg": "global\n  maxconn 'unterminated\n"}}
    answer = client.post(
        "/api/v1/import", json={"hosts": hosts}, headers=bearer(tokens["operator"])
    )
    assert answer.status_code == 422
    assert "lb1/haproxy.cfg:2: unterminated ' quote" in answer.get_json()["error"]


def test_a_viewer_cannot_import(client, tokens) -> None:
    answer = client.post("/api/v1/import", json={"hosts": {}}, headers=bearer(tokens["viewer"]))
    assert answer.status_code == 403
