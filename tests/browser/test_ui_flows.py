"""What an operator does in the browser: log in, change a pool, preview, roll back."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from controlplane import store
from controlplane.usecases import deployments
from tests.web.ui_support import record_deployed, use_fake_status

from .conftest import log_in, screenshot


def test_log_in_and_see_the_dashboard_with_live_status(page) -> None:
    log_in(page, "operator")
    expect(page.locator("#status-body")).to_contain_text("no critical findings")
    expect(page.locator("#status-body")).to_contain_text("MASTER")
    screenshot(page, "dashboard")
    page.click("#status-refresh")
    expect(page.locator("#status-refresh")).to_have_text("Refresh")


def test_add_a_server_to_a_pool(page) -> None:
    log_in(page)
    page.click("nav >> text=Model")
    page.click(".subnav >> text=Pools")
    page.click("table >> text=app")
    page.click("text=Add server")
    page.fill("input[name=name]", "app4")
    page.fill("input[name=address]", "198.18.0.23")
    page.fill("input[name=port]", "8080")
    page.click("button:has-text('Create server')")
    expect(page.locator(".flash.success")).to_contain_text("Add server app4 of app")
    expect(page.locator("table")).to_contain_text("198.18.0.23")
    screenshot(page, "pool")


def test_a_bad_port_shows_an_error_next_to_the_port(page) -> None:
    log_in(page)
    page.goto("/model/pools/app/servers/app2")
    page.fill("input[name=port]", "70000")
    page.click("button:has-text('Save')")
    error = page.locator(".field.has-error")
    expect(error).to_have_count(1)
    expect(error.locator("input[name=port]")).to_have_value("70000")
    expect(error.locator(".field-error")).to_have_text("must be 1-65535, got 70000")
    screenshot(page, "server-edit-field-error")


def test_preview_the_diff_of_a_change(app, page) -> None:
    record_deployed(app, 1)
    log_in(page)
    page.goto("/model/pools/app/servers/app2")
    page.fill("input[name=weight]", "75")
    page.click("button:has-text('Save')")
    page.click("nav >> text=Preview")
    expect(page.locator("pre.diff .add", has_text="weight 75").first).to_be_visible()
    expect(page.locator("pre.diff .del", has_text="weight 50").first).to_be_visible()
    page.click("#file-lb2-keepalived-conf > summary")
    expect(page.locator("#file-lb2-keepalived-conf .file-section").first).to_be_visible()
    screenshot(page, "preview")


def test_roll_back_a_change(page) -> None:
    log_in(page)
    page.goto("/model/pools/app/servers/app3")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Delete server')")
    expect(page.locator(".flash.success")).to_contain_text("Delete server app3 of app")
    page.click("nav >> text=History")
    page.click("button:has-text('Compare')")
    expect(page.locator("pre.diff .del").first).to_contain_text("app3")
    page.click("nav >> text=History")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("tr:has-text('Example') >> button:has-text('Roll back to this')")
    expect(page.locator(".flash.success")).to_contain_text("now holds the model of revision 1")
    expect(page.locator("button:has-text('Deploy now')")).to_be_visible()
    screenshot(page, "history")


def test_admin_creates_a_token_and_sees_it_once(page) -> None:
    log_in(page, "admin")
    page.click("nav >> text=Admin")
    page.fill("form[action='/admin/tokens'] input[name=name]", "ci-deploy")
    page.select_option("form[action='/admin/tokens'] select[name=user]", "operator")
    page.select_option("form[action='/admin/tokens'] select[name=role]", "operator")
    page.click("button:has-text('Create token')")
    expect(page.locator("#token-value")).to_have_value(re.compile(r"^lbctl_"))
    screenshot(page, "users-and-tokens")
    page.goto("/audit")
    expect(page.locator("table")).to_contain_text("token.create")
    screenshot(page, "audit")


def test_critical_findings_come_first_on_the_dashboard(app, page) -> None:
    use_fake_status(app, lb2_reachable=False)
    log_in(page, "viewer")
    alert = page.locator(".alert.critical")
    expect(alert).to_contain_text("lb2: unreachable")
    screenshot(page, "dashboard-critical")


def test_deploy_page_follows_a_deploy_to_its_result(page, monkeypatch) -> None:
    monkeypatch.setattr(deployments, "run_deployment", slow_fake_run)
    log_in(page)
    page.click("nav >> text=Deploy")
    page.click("#deploy-button")
    expect(page.locator("#deploy-events tr")).to_have_count(2)
    expect(page.locator("#deploy-state")).to_have_text("succeeded")
    expect(page.locator("#host-results .badge.unchanged")).to_have_count(2)
    screenshot(page, "deployment-result")
    page.click("nav >> text=Deploy")
    expect(page.locator("table .badge.succeeded")).to_have_count(1)
    screenshot(page, "deployments")


def slow_fake_run(sessions, deployment_id, inventory, lock_wait_s) -> None:
    """A deploy that touches no host and takes long enough for the page to poll it."""
    import time

    with sessions.begin() as session:
        store.start_deployment(session, deployment_id)
        store.append_event(session, deployment_id, "task", "lb1", "install haproxy.cfg")
    time.sleep(1.0)
    with sessions.begin() as session:
        store.append_event(session, deployment_id, "ok", "lb1", "install haproxy.cfg")
    results = [{"host": h, "status": "unchanged", "seconds": 0.1} for h in ("lb1", "lb2")]
    with sessions.begin() as session:
        store.finish_deployment(session, deployment_id, "succeeded", results)


def test_every_model_page_renders(page) -> None:
    log_in(page, "viewer")
    for kind in ("lb_hosts", "vip_pairs", "health_checks", "pools", "frontends"):
        page.goto(f"/model/{kind}/")
        expect(page.locator(".subnav a.active")).to_have_count(1)
    screenshot(page, "frontends-list")
    page.goto("/model/vip_pairs/edge")
    expect(page.locator("text=Read-only")).to_be_visible()
    screenshot(page, "vip-pair-read-only")
    page.goto("/model/frontends/web")
    expect(page.locator("table")).to_contain_text("api.example.com")
    screenshot(page, "frontend")
    page.goto("/model/health_checks/tcp-ok")
    screenshot(page, "health-check")
