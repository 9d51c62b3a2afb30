"""An admin uploads a certificate in the browser; the Files page and the dashboard show it."""

from __future__ import annotations

from playwright.sync_api import expect

from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from tests.tls_material import make_ca, make_leaf

from .conftest import log_in, screenshot


def test_upload_a_certificate_and_see_it_by_expiry(page, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(FILES_KEY_ENV, new_key())
    ca = make_ca()
    soon = tmp_path / "soon.pem"
    soon.write_text(make_leaf(ca, "shop.example.com", days=7).bundle())
    expired = tmp_path / "expired.pem"
    expired.write_text(make_leaf(ca, "old.example.com", days=-1).bundle())
    log_in(page, "admin")
    page.click("nav >> text=Files")

    form = page.locator("#upload-file")
    form.locator("select[name=kind]").select_option("certificate")
    form.locator("input[name=name]").fill("shop")
    form.locator("input[name=content]").set_input_files(str(soon))
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.success")).to_contain_text("certificate shop stored.")
    expect(page.locator("#stored-files")).to_contain_text("CN=shop.example.com")
    expect(page.locator("#stored-files .badge.bad")).to_have_text("6 days")

    form = page.locator("#upload-file")
    form.locator("input[name=name]").fill("old")
    form.locator("input[name=content]").set_input_files(str(expired))
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.error")).to_contain_text("refused: expired on")
    expect(page.locator("#stored-files")).not_to_contain_text("old.example.com")
    assert "PRIVATE KEY" not in page.content()
    screenshot(page, "files")

    page.click("nav >> text=Dashboard")
    expect(page.locator("#certificates")).to_contain_text("shop")
    expect(page.locator("#certificates .badge.bad")).to_have_text("6 days")
    screenshot(page, "dashboard-certificates")
