"""Import from hosts in the browser: reached from History, hosts picked, a refusal said plainly.

The hosts refuse SSH at once (127.0.0.1 port 1); the successful import from real hosts
runs in the lab (tests/lab/test_adoption.py).
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import refusing_inventory  # noqa: F401  (fixture, reused)

from .conftest import log_in, screenshot


def test_an_unreachable_host_is_named_and_the_pick_is_kept(page, refusing_inventory) -> None:  # noqa: F811
    log_in(page, "operator")
    page.click("nav >> text=History")
    page.click("text=Import from hosts")
    page.wait_for_url("**/import-hosts")
    boxes = page.locator("#import-hosts input[name=host]")
    expect(boxes).to_have_count(2)
    page.uncheck("#import-hosts input[value=lb2]")
    page.click("#import-hosts-button", timeout=60_000)  # the SSH attempt takes seconds
    expect(page.locator(".flash.error")).to_contain_text(
        "Not imported: host lb1: unreachable", timeout=60_000
    )
    expect(page.locator("#import-report")).to_have_count(0)
    expect(page.locator("#import-hosts input[value=lb1]")).to_be_checked()
    expect(page.locator("#import-hosts input[value=lb2]")).not_to_be_checked()
    assert "Traceback" not in page.content()
    screenshot(page, "import-hosts-unreachable")
    page.click("nav >> text=History")
    expect(page.locator("body")).not_to_contain_text("Import of the hosts")
