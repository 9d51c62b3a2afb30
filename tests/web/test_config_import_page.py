"""The "Import files" page: a pair's configs uploaded become a revision, the report shown."""

from __future__ import annotations

import io
import re

import pytest

from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from tests.config_import.test_mapping import HAPROXY, KEEPALIVED
from tests.tls_material import make_ca, make_leaf

from .conftest import csrf_token


@pytest.fixture(autouse=True)
def files_key(monkeypatch):
    monkeypatch.setenv(FILES_KEY_ENV, new_key())


def _form(client) -> dict:
    page = client.get("/import-configs").get_data(as_text=True)
    base = re.search(r'name="base_revision" value="([^"]*)"', page)
    assert base
    data: dict = {
        "csrf_token": csrf_token(client, "/import-configs"),
        "base_revision": base.group(1),
        "message": "adopt the pair",
    }
    pem = make_leaf(make_ca(), "www.example.com").bundle().encode()
    for slot, (name, state, priority, me, peer) in enumerate(
        [
            ("lb1", "MASTER", 150, "198.18.0.10", "198.18.0.11"),
            ("lb2", "BACKUP", 100, "198.18.0.11", "198.18.0.10"),
        ]
    ):
        keepalived = KEEPALIVED.format(
            state=state, priority=priority, nopreempt="", me=me, peer=peer
        )
        data[f"host{slot}"] = name
        data[f"host{slot}-haproxy.cfg"] = (io.BytesIO(HAPROXY.encode()), "haproxy.cfg")
        data[f"host{slot}-keepalived.conf"] = (io.BytesIO(keepalived.encode()), "keepalived.conf")
        data[f"host{slot}-path"] = ["/etc/haproxy/certs/site.pem"]
        data[f"host{slot}-file"] = [(io.BytesIO(pem), "site.pem")]
    return data


def test_uploaded_configs_become_a_revision_with_the_report(as_role) -> None:
    client = as_role("operator")
    answer = client.post("/import-configs", data=_form(client), content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert re.search(r"Imported as revision \d+", page), page[:2000]
    assert "dropped: lb1/haproxy.cfg:20: reqrep" in page
    # The uploaded certificate is used; /etc/shadow was not uploaded, so it is reported.
    assert "missing: lb1/haproxy.cfg:27: /etc/shadow" in page
    assert "missing: lb1/haproxy.cfg:27: /etc/haproxy/certs/site.pem" not in page


def test_a_viewer_cannot_import(as_role) -> None:
    assert as_role("viewer").get("/import-configs").status_code == 403
