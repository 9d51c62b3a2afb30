"""Browser tests: the real app on a real server, driven by Debian's Chromium (headless)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.web.conftest import PASSWORD, app, seeded_home  # noqa: F401  (fixtures, reused)
from tests.web.ui_support import use_fake_status

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent.parent / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Return a headless Chromium that never talks to the internet."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; make deps)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",  # tests run as root
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # No --user-data-dir: Playwright refuses it in launch() and gives every
                # launch its own throwaway profile folder instead.
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def serve(wsgi_app: Flask) -> Iterator[str]:
    """Serve the app on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="lbctl-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:  # noqa: F811
    use_fake_status(app)
    yield from serve(app)


@pytest.fixture
def page(browser, base_url: str) -> Iterator[object]:
    """Return a page of a fresh browser context (its own cookies), laptop-sized."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def log_in(page, name: str = "operator") -> None:
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot for people to look at (tests/artifacts/, not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
