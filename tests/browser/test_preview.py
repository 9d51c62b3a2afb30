"""The preview in Chromium: the change first, a file's sections loaded when opened."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.ui_support import record_deployed

from .conftest import log_in, screenshot


def test_preview_loads_a_files_sections_and_a_sections_text_on_demand(app, page) -> None:
    record_deployed(app, 1)
    log_in(page)
    page.goto("/model/pools/app/servers/app2")
    page.fill("input[name=weight]", "75")
    page.click("button:has-text('Save')")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto("/preview")
    # The change comes first, before any file is loaded.
    expect(page.locator("pre.diff .add", has_text="weight 75").first).to_be_visible()
    assert not [u for u in requests if "/files/" in u]
    haproxy = page.locator("#file-lb1-haproxy-cfg")
    expect(haproxy.locator(".file-section")).to_have_count(0)
    haproxy.locator("summary").first.click()
    backend = haproxy.locator(".file-section", has_text=re.compile(r"^backend app line"))
    expect(backend).to_have_count(1)
    expect(backend.locator("pre")).to_have_count(0)  # the outline only, no text yet
    backend.locator("summary").click()
    expect(backend.locator("pre")).to_contain_text("server app2 198.18.0.21:8080")
    expect(backend.locator("pre")).to_contain_text("weight 75")
    sections = [u for u in requests if "/files/lb1/haproxy.cfg/" in u]
    assert len(sections) == 1  # one section fetched: the one opened
    screenshot(page, "preview-sections")
