"""The Settings page in the browser: an operator changes a timeout and a log target."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.ui_support import document

from .conftest import log_in, screenshot


def test_edit_settings_from_the_model_navigation(app, page) -> None:
    log_in(page)
    page.click("nav >> text=Model")
    page.click(".subnav >> text=Settings")
    expect(page.locator("h1")).to_have_text("Settings")
    page.fill("input[name='timeouts.connect']", "3s")
    page.fill("textarea[name=log_targets]", "stdout format=raw")
    page.select_option("select[name='tls.bind_min_version']", "TLSv1.3")
    page.fill("input[name=message]", "faster connect")
    page.click("button:has-text('Save')")
    expect(page.locator(".flash.success")).to_contain_text("faster connect")
    expect(page.locator("input[name='timeouts.connect']")).to_have_value("3s")
    settings = document(app)["settings"]
    assert settings["timeouts"]["connect"] == "3s"
    assert settings["log_targets"] == [{"address": "stdout", "format": "raw"}]
    assert settings["tls"]["bind_min_version"] == "TLSv1.3"
    screenshot(page, "settings")


def test_a_bad_setting_is_shown_at_its_input(app, page) -> None:
    log_in(page)
    page.goto("/model/settings")
    page.fill("input[name='tune.bufsize']", "12")
    page.click("button:has-text('Save')")
    error = page.locator(".field.has-error")
    expect(error).to_have_count(1)
    expect(error.locator(".field-error")).to_have_text("must be 1024-1048576, got 12")
    assert "tune" not in document(app).get("settings", {})
