"""Dashboard operations: the drift card, switchover buttons (operators), the drill (admins)."""

from __future__ import annotations

from flask import Flask

from .conftest import csrf_token
from .ui_support import post_form, record_deployed, use_fake_status


def test_the_drill_is_for_admins_and_switchover_for_operators(app: Flask, as_role) -> None:
    use_fake_status(app)
    viewer, operator, admin = as_role("viewer"), as_role("operator"), as_role("admin")
    viewer_page = viewer.get("/").get_data(as_text=True)
    operator_page = operator.get("/").get_data(as_text=True)
    admin_page = admin.get("/").get_data(as_text=True)
    assert "Switchover" not in viewer_page and "Failover drill" not in viewer_page
    assert "Switchover" in operator_page and "Failover drill" not in operator_page
    assert "Switchover" in admin_page and "Failover drill" in admin_page
    token = {"csrf_token": csrf_token(viewer, "/")}
    assert viewer.post("/pairs/edge/switchover", data=token).status_code == 403
    token = {"csrf_token": csrf_token(operator, "/")}
    assert operator.post("/pairs/edge/drill", data=token).status_code == 403


def test_the_drift_card_says_when_nothing_was_deployed(as_role) -> None:
    html = as_role("viewer").get("/drift/fragment").get_data(as_text=True)
    assert "nothing has been deployed yet" in html


def test_the_drift_card_lists_hosts_it_cannot_reach(app: Flask, as_role, refusing_inventory):
    record_deployed(app, 1)
    html = as_role("viewer").get("/drift/fragment").get_data(as_text=True)
    assert html.count("unreachable") >= 2 and "lb1" in html and "lb2" in html


def test_a_switchover_that_cannot_reach_the_hosts_is_refused_with_a_message(
    as_role, refusing_inventory
) -> None:
    client = as_role("operator")
    response = post_form(client, "/pairs/edge/switchover", {}, page="/")
    assert response.status_code == 302
    assert "Switchover refused or not confirmed" in client.get("/").get_data(as_text=True)
    audit = client.get("/audit").get_data(as_text=True)
    assert "pair.switchover" in audit and "example pair edge" in audit  # tried, and by whom


def test_the_drill_needs_a_probe_setting(app: Flask, as_role, monkeypatch) -> None:
    monkeypatch.delenv("LBCTL_DRILL_PROBE", raising=False)
    client = as_role("admin")
    post_form(client, "/pairs/edge/drill", {}, page="/")
    assert "Set LBCTL_DRILL_PROBE" in client.get("/").get_data(as_text=True)
