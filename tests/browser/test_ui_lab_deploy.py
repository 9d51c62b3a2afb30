"""Deploy from the browser to the namespace lab (root only): both hosts succeed, live."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from controlplane import store
from controlplane.lab import Lab
from controlplane.usecases import revisions
from controlplane.web import create_app
from tests.support import SEED
from tests.web.conftest import PASSWORD

from .conftest import screenshot, serve

pytestmark = [pytest.mark.lab, pytest.mark.slow]
LAB_MODEL = Path(__file__).parent.parent.parent / "inventory" / "lab" / "lb.yaml"


@pytest.fixture
def lab_app(tmp_path: Path, lab: Lab) -> Flask:
    """An app managing environment "lab": the lab model, the lab's Ansible inventory."""
    app = create_app(
        home=tmp_path / "instance",
        environment="lab",
        inventory=lab.inventory_path,
        secure_cookies=False,
        admin_password=None,
    )
    with app.extensions["lbctl.sessions"].begin() as session:
        store.create_user(session, "operator", PASSWORD, "operator")
        revisions.import_yaml(session, "lab", LAB_MODEL.read_text(), SEED, "Lab model", None)
    return app


@pytest.fixture
def lab_url(lab_app: Flask) -> Iterator[str]:
    yield from serve(lab_app)


def test_deploy_from_the_browser_succeeds_on_both_hosts(browser, lab_url: str) -> None:
    context = browser.new_context(base_url=lab_url, viewport={"width": 1366, "height": 800})
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("input[name=name]", "operator")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.click("nav >> text=Deploy")
        page.click("#deploy-button")
        page.wait_for_url("**/deployments/*")
        expect(page.locator("#deploy-events tr").first).to_be_visible(timeout=30_000)
        expect(page.locator("#deploy-state")).to_have_text("succeeded", timeout=180_000)
        results = page.locator("#host-results tbody tr")
        expect(results).to_have_count(2)
        for host in ("lb1", "lb2"):
            row = results.filter(has_text=host)
            expect(row.locator(".badge")).to_have_text("changed")
        screenshot(page, "deployment-result-lab")
        page.goto("/")
        assert _wait_for_master(page), page.locator("#status-body").inner_text()
        screenshot(page, "dashboard-lab")
    finally:
        context.close()


def _wait_for_master(page, seconds: float = 60.0) -> bool:
    """Return True once the live status shows a MASTER; keepalived may still be starting."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        expect(page.locator("#status-refresh")).to_be_enabled(timeout=60_000)
        if "MASTER" in page.locator("#status-body").inner_text():
            return True
        time.sleep(2)
        page.click("#status-refresh")
    return False
