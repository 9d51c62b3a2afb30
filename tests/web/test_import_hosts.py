"""Import from hosts (page and API): the inventory's hosts picked, refusals shown, nothing saved.

A successful import from real hosts is proven in the lab (tests/lab/test_adoption.py); here
the hosts refuse SSH at once (127.0.0.1 port 1), so every refusal is fast and real; the
page's own refusal of an unreachable host is driven in Chromium (tests/browser/).
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from .conftest import bearer, csrf_token


def _head(client: FlaskClient, token: str) -> int:
    return client.get("/api/v1/model", headers=bearer(token)).get_json()["revision"]


def _post_form(client: FlaskClient, hosts: list[str]) -> str:
    page = client.get("/import-hosts").get_data(as_text=True)
    base = re.search(r'name="base_revision" value="([^"]*)"', page)
    assert base
    data = {
        "csrf_token": csrf_token(client, "/import-hosts"),
        "base_revision": base.group(1),
        "host": hosts,
        "message": "adopt the pair",
    }
    answer = client.post("/import-hosts", data=data)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_page_offers_every_inventory_host_ticked(as_role) -> None:
    page = as_role("operator").get("/import-hosts").get_data(as_text=True)
    ticked = re.findall(r'<input type="checkbox" name="host" value="([^"]+)" checked>', page)
    assert ticked == ["lb1", "lb2"]  # the example inventory the app deploys to


def test_a_host_outside_the_inventory_is_refused(as_role, client, tokens) -> None:
    before = _head(client, tokens["viewer"])
    page = _post_form(as_role("operator"), ["lb1", "db1"])
    assert "Not imported: db1: not in the inventory (lb1, lb2)" in page
    assert _head(client, tokens["viewer"]) == before


def test_no_host_picked_is_refused(as_role) -> None:
    assert "Not imported: pick at least one host" in _post_form(as_role("operator"), [])


def test_an_unreadable_inventory_is_said_on_the_page(as_role, app, tmp_path) -> None:
    import dataclasses

    app.config["LBCTL"] = dataclasses.replace(app.config["LBCTL"], inventory=tmp_path / "none.yml")
    page = as_role("operator").get("/import-hosts").get_data(as_text=True)
    assert "The app&#39;s inventory cannot be read: inventory" in page
    assert 'id="import-hosts"' not in page  # no form to submit


def test_a_viewer_cannot_import_from_hosts(as_role, client, tokens) -> None:
    assert as_role("viewer").get("/import-hosts").status_code == 403
    answer = client.post("/api/v1/import/hosts", json={}, headers=bearer(tokens["viewer"]))
    assert answer.status_code == 403


def test_the_api_names_the_unreachable_host_and_saves_nothing(
    client, tokens, refusing_inventory
) -> None:
    before = _head(client, tokens["viewer"])
    answer = client.post(
        "/api/v1/import/hosts", json={"hosts": ["lb2"]}, headers=bearer(tokens["operator"])
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"].startswith("cannot import: host lb2: unreachable")
    assert _head(client, tokens["viewer"]) == before


def test_the_api_refuses_a_host_outside_the_inventory_before_any_ssh(client, tokens) -> None:
    answer = client.post(
        "/api/v1/import/hosts", json={"hosts": ["db1"]}, headers=bearer(tokens["operator"])
    )
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"] == "db1: not in the inventory (lb1, lb2)"
    assert body["details"][0]["path"] == "hosts"
