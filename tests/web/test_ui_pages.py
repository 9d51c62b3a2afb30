"""Dashboard, preview, deploy, history, audit and admin pages do what their buttons say."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from controlplane import store
from controlplane.usecases import deployments

from .ui_support import newest, post_form, use_fake_status


def fake_run(sessions, deployment_id, inventory, lock_wait_s) -> None:
    """A deploy that touches no host: two events, then both hosts unchanged."""
    with sessions.begin() as session:
        store.start_deployment(session, deployment_id)
        store.append_event(session, deployment_id, "task", "lb1", "install haproxy.cfg")
        store.append_event(session, deployment_id, "ok", "lb1", "install haproxy.cfg")
    results = [{"host": h, "status": "unchanged", "seconds": 0.1} for h in ("lb1", "lb2")]
    with sessions.begin() as session:
        store.finish_deployment(session, deployment_id, "succeeded", results)


@pytest.fixture
def no_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deployments, "run_deployment", fake_run)


def test_dashboard_shows_pairs_hosts_and_recent_deploys(as_role) -> None:
    page = as_role("viewer").get("/").get_data(as_text=True)
    assert "edge" in page and "active-passive" in page and "198.18.0.100/24" in page
    assert "198.18.0.11" in page and "No deployments yet" in page
    assert 'id="status-refresh"' in page  # live status comes later, from the fragment


def test_status_fragment_puts_critical_findings_first(app: Flask, as_role) -> None:
    use_fake_status(app, lb2_reachable=False)
    page = as_role("viewer").get("/status/fragment").get_data(as_text=True)
    assert page.index('class="alert critical"') < page.index("Hosts and VRRP")
    assert "lb2</strong>: unreachable: ssh: no route to host" in page
    assert '<span class="badge MASTER">MASTER</span>' in page


def test_status_is_collected_once_then_cached_until_refresh(app: Flask, as_role) -> None:
    calls = []
    use_fake_status(app)
    cache = app.extensions["lbctl.status_cache"]
    inner = cache.collector
    cache.collector = lambda inventory: calls.append(inventory) or inner(inventory)
    client = as_role("viewer")
    client.get("/status/fragment")
    client.get("/status/fragment")
    assert len(calls) == 1
    client.get("/status/fragment?refresh=1")
    assert len(calls) == 2


def test_preview_shows_rendered_files_and_the_diff_to_deployed(as_role) -> None:
    page = as_role("viewer").get("/preview").get_data(as_text=True)
    assert "nothing deployed yet" in page
    assert "lb1/haproxy.cfg" in page and "lb2/keepalived.conf" in page
    assert '<span class="add">+' in page


def test_preview_masks_vrrp_passwords(app: Flask, as_role) -> None:
    form = {
        "name": "edge",
        "hosts.0": "lb1",
        "hosts.1": "lb2",
        "virtual_router_id": "51",
        "vips": "198.18.0.100/24",
        "preempt": "1",
        "unicast": "1",
        "authentication.type": "PASS",
        "authentication.password": "s3cr3t",
    }
    client = as_role("operator")
    assert post_form(client, "/model/vip_pairs/edge", form).status_code == 302
    assert "s3cr3t" not in client.get("/preview").get_data(as_text=True)
    assert "s3cr3t" not in client.get("/model/vip_pairs/edge").get_data(as_text=True)
    # Saving the form with the mask keeps the real password.
    assert (
        post_form(
            client,
            "/model/vip_pairs/edge",
            form | {"authentication.password": "********", "preempt_delay": "2s"},
        ).status_code
        == 302
    )
    from .ui_support import document

    assert document(app)["vip_pairs"][0]["authentication"]["password"] == "s3cr3t"


def test_deploy_starts_and_the_page_follows_it(app: Flask, as_role, no_hosts) -> None:
    client = as_role("operator")
    response = post_form(client, "/deploy", {"revision": "1"}, page="/deployments")
    assert response.status_code == 302
    location = response.headers["Location"]
    deployment_id = int(location.rsplit("/", 1)[1])
    deployments.wait_for_deployment(app.extensions["lbctl.sessions"], deployment_id, 10)
    events = client.get(f"{location}/events.json?after=1").get_json()
    assert events["finished"] and events["state"] == "succeeded"
    assert [e["seq"] for e in events["events"]] == [2]
    page = client.get(location).get_data(as_text=True)
    assert 'id="host-results"' in page and page.count('class="badge unchanged"') == 2
    assert f"/deployments/{deployment_id}" in client.get("/deployments").get_data(as_text=True)


def test_an_unknown_deployment_is_404(as_role) -> None:
    assert as_role("viewer").get("/deployments/99").status_code == 404
    assert as_role("viewer").get("/deployments/99/events.json").status_code == 404


def test_history_diffs_two_revisions(as_role) -> None:
    client = as_role("operator")
    post_form(
        client,
        "/model/pools/app/servers/app2",
        {"name": "app2", "address": "198.18.0.21", "port": "9090"},
    )
    page = client.get("/history/diff?a=1&b=2").get_data(as_text=True)
    assert re.search(r'<span class="add">\+ +port: 9090</span>', page)
    assert re.search(r'<span class="del">- +port: 8080</span>', page)


def test_rollback_makes_a_new_revision_and_offers_deploy_now(app: Flask, as_role) -> None:
    client = as_role("operator")
    post_form(client, "/model/pools/app/servers/app3/delete", {}, page="/model/pools/app")
    response = post_form(client, "/history/1/rollback", {}, page="/history")
    assert response.headers["Location"] == "/history?rolled_back=3"
    revision = newest(app)
    assert revision.number == 3 and revision.message == "Roll back to revision 1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deploy now" in page and 'name="revision" value="3"' in page


def test_a_stale_rollback_is_refused(app: Flask, as_role) -> None:
    client = as_role("operator")
    history = client.get("/history").get_data(as_text=True)
    post_form(client, "/model/pools/app/servers/app3/delete", {}, page="/model/pools/app")
    token = re.search(r'name="csrf_token" value="([^"]+)"', history).group(1)
    response = client.post(
        "/history/1/rollback",
        data={"csrf_token": token, "base_revision": "1"},
        follow_redirects=True,
    )
    assert "changed the model since you opened this page" in response.get_data(as_text=True)
    assert newest(app).number == 2


def test_audit_lists_model_changes(as_role) -> None:
    client = as_role("operator")
    post_form(client, "/model/pools/app/servers/app3/delete", {}, page="/model/pools/app")
    page = client.get("/audit").get_data(as_text=True)
    assert "model.save" in page and "Delete server app3 of app" in page


def test_admin_creates_a_user_and_changes_its_role(app: Flask, as_role) -> None:
    client = as_role("admin")
    form = {"name": "alice", "role": "viewer", "password": "correct-horse-battery"}
    assert post_form(client, "/admin/users", form, page="/admin").status_code == 302
    assert (
        post_form(
            client, "/admin/users/alice/role", {"role": "operator"}, page="/admin"
        ).status_code
        == 302
    )
    with app.extensions["lbctl.sessions"]() as session:
        assert store.get_user(session, "alice").role == "operator"


def test_a_short_password_is_refused(as_role) -> None:
    form = {"name": "bob", "role": "viewer", "password": "short"}
    response = post_form(as_role("admin"), "/admin/users", form, page="/admin")
    assert response.status_code == 400
    assert "at least 12 characters" in response.get_data(as_text=True)


def test_disable_and_enable_a_user(app: Flask, as_role) -> None:
    client = as_role("admin")
    post_form(client, "/admin/users/viewer/disable", {}, page="/admin")
    with app.extensions["lbctl.sessions"]() as session:
        assert store.get_user(session, "viewer").disabled
    post_form(client, "/admin/users/viewer/enable", {}, page="/admin")
    with app.extensions["lbctl.sessions"]() as session:
        assert not store.get_user(session, "viewer").disabled


def test_an_admin_cannot_lock_themselves_out(as_role) -> None:
    response = post_form(as_role("admin"), "/admin/users/admin/disable", {}, page="/admin")
    assert response.status_code == 400


def test_a_token_is_shown_once_and_can_be_revoked(app: Flask, as_role) -> None:
    client = as_role("admin")
    form = {"user": "operator", "name": "ci", "role": "operator"}
    response = post_form(client, "/admin/tokens", form, page="/admin")
    page = response.get_data(as_text=True)
    plaintext = re.search(r'id="token-value" value="(lbctl_[^"]+)"', page).group(1)
    assert plaintext not in client.get("/admin").get_data(as_text=True)
    with app.extensions["lbctl.sessions"]() as session:
        token = store.list_tokens(session)[0]
        assert store.authenticate_token(session, plaintext) is not None
    post_form(client, f"/admin/tokens/{token.id}/revoke", {}, page="/admin")
    with app.extensions["lbctl.sessions"]() as session:
        assert store.authenticate_token(session, plaintext) is None


def test_a_token_above_its_users_role_is_refused(as_role) -> None:
    form = {"user": "viewer", "name": "ci", "role": "admin"}
    response = post_form(as_role("admin"), "/admin/tokens", form, page="/admin")
    assert response.status_code == 400
    assert "its user&#39;s role is" in response.get_data(as_text=True)
