"""The Files page and the dashboard's certificates card: metadata only, admins upload with
the form's CSRF token, refusals are said on the page, expiry sorted and coloured."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask

from controlplane import store
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.usecases import stored_files
from tests.tls_material import make_ca, make_leaf

from .conftest import csrf_token
from .ui_support import use_fake_status

ADMIN = store.Actor("admin", "admin", None, "web")


@pytest.fixture(autouse=True)
def files_key(monkeypatch):
    monkeypatch.setenv(FILES_KEY_ENV, new_key())


@pytest.fixture(scope="module")
def ca():
    return make_ca()


def upload(client, kind: str, name: str, text: str, token: str | None = None):
    data = {"kind": kind, "name": name, "content": (io.BytesIO(text.encode()), f"{name}.pem")}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/files", data=data, content_type="multipart/form-data")


def test_an_admin_uploads_a_certificate_and_the_page_shows_its_metadata(as_role, ca):
    admin = as_role("admin")
    leaf = make_leaf(ca, "www.example.com", days=200)
    answer = upload(admin, "certificate", "site", leaf.bundle(), csrf_token(admin, "/files"))
    assert answer.status_code == 302
    page = admin.get("/files").get_data(as_text=True)
    assert "certificate site stored." in page
    assert "CN=www.example.com" in page and "199 days" in page
    assert "BEGIN" not in page and "PRIVATE" not in page


def test_an_upload_without_the_csrf_token_is_refused(as_role, ca):
    admin = as_role("admin")
    answer = upload(admin, "certificate", "site", make_leaf(ca, "a.example").bundle())
    assert answer.status_code == 400
    assert "No files stored yet" in admin.get("/files").get_data(as_text=True)


def test_a_refused_upload_says_why_on_the_page(as_role, ca):
    admin = as_role("admin")
    expired = make_leaf(ca, "old.example", days=-2)
    answer = upload(admin, "certificate", "old", expired.bundle(), csrf_token(admin, "/files"))
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "Not stored: certificate &#39;old&#39; refused: expired on" in page


def test_viewers_see_the_list_but_no_upload_form(app: Flask, as_role, ca):
    with app.extensions["lbctl.sessions"].begin() as session:
        stored_files.put_certificate(
            session, "example", ADMIN, "site", make_leaf(ca, "a.example").bundle()
        )
    page = as_role("viewer").get("/files").get_data(as_text=True)
    assert "<strong>site</strong>" in page
    assert 'id="upload-file"' not in page and "Remove" not in page


def test_the_dashboard_card_lists_certificates_soonest_first_in_red_under_the_threshold(
    app: Flask, as_role, ca
):
    use_fake_status(app)
    with app.extensions["lbctl.sessions"].begin() as session:
        for name, days in (("late", 300), ("soon", 5), ("month", 20)):
            leaf = make_leaf(ca, f"{name}.example", days=days)
            stored_files.put_certificate(session, "example", ADMIN, name, leaf.bundle())
    page = as_role("viewer").get("/").get_data(as_text=True)
    card = page[page.index('id="certificates"') :]
    names = re.findall(r"<td><strong>(\w+)</strong></td>", card)
    assert names == ["soon", "month", "late"]
    assert '<span class="badge bad">4 days</span>' in card  # under 14 days: red
    assert '<span class="badge warn">19 days</span>' in card
    assert '<span class="badge ok">299 days</span>' in card


def test_the_dashboard_has_no_card_without_certificates(app: Flask, as_role):
    use_fake_status(app)
    assert 'id="certificates"' not in as_role("viewer").get("/").get_data(as_text=True)


def test_the_audit_page_shows_the_upload_by_its_metadata(as_role, ca):
    admin = as_role("admin")
    leaf = make_leaf(ca, "www.example.com")
    upload(admin, "certificate", "site", leaf.bundle(), csrf_token(admin, "/files"))
    page = admin.get("/audit").get_data(as_text=True)
    assert "file.upload" in page and "certificate site" in page
    assert "BEGIN" not in page and "PRIVATE" not in page
