"""The Settings page: one form over the model's `settings`, saved as a new revision."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel

from controlplane import store
from controlplane.check import check_rendered
from controlplane.model import validate_data
from controlplane.model.schema import Settings
from controlplane.render import render_model
from controlplane.web.ui.settings_page import FIELDS, settings_values
from tests.support import needs_binaries

from .ui_support import document, newest, post_form

PAGE = "/model/settings"


def settings(app: Flask) -> dict[str, Any]:
    return document(app).get("settings", {})


def current_form(app: Flask) -> dict[str, str]:
    """Return the form as the page shows it now (bools unchecked are left out)."""
    values = settings_values(settings(app))
    return {k: v for k, v in values.items() if v != "" or k in ("chroot",)}


def _leaves(model: type[BaseModel], prefix: str = "") -> list[str]:
    found = []
    for name, info in model.model_fields.items():
        inner = info.annotation
        kinds = [a for a in getattr(inner, "__args__", (inner,)) if isinstance(a, type)]
        nested = [k for k in kinds if issubclass(k, BaseModel)]
        if nested and name != "log_targets":
            found += _leaves(nested[0], f"{prefix}{name}.")
        else:
            found.append(prefix + name)
    return found


def test_every_settings_field_has_an_input() -> None:
    assert sorted(_leaves(Settings)) == sorted(f.name for f in FIELDS)


def test_the_page_renders_the_model_values_and_is_linked_from_the_model_nav(
    app: Flask, as_role
) -> None:
    client = as_role("viewer")
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="f-timeouts-connect" name="timeouts.connect" value="5s"' in page
    assert 'name="tls.bind_min_version"' in page
    assert 'href="/model/settings"' in client.get("/model/pools/").get_data(as_text=True)
    assert client.get("/settings").headers["Location"].endswith(PAGE)


@needs_binaries
def test_saving_a_change_makes_a_revision_with_only_the_changed_value(app: Flask, as_role) -> None:
    client = as_role("operator")
    before = newest(app).number
    old = settings(app)
    form = current_form(app) | {
        "timeouts.connect": "3s",
        "tune.bufsize": "32768",
        "tls.bind_min_version": "TLSv1.3",
        "message": "faster connect",
    }
    response = post_form(client, PAGE, form)
    assert response.status_code == 302
    revision = newest(app)
    assert revision.number == before + 1
    assert revision.message == "faster connect"
    saved = settings(app)
    assert saved["timeouts"] == {**old.get("timeouts", {}), "connect": "3s"}
    assert saved["tune"] == {"bufsize": 32768}
    assert saved["tls"]["bind_min_version"] == "TLSv1.3"
    assert haproxy_failures(app) == []
    assert "Saved as revision" in client.get(PAGE).get_data(as_text=True)
    with app.extensions["lbctl.sessions"]() as session:
        entry = store.list_audit_entries(session)[0]
        assert (entry.actor, entry.action) == ("operator", "model.save")
        assert entry.detail["message"] == "faster connect"


def test_an_unchanged_form_writes_no_defaults(app: Flask, as_role) -> None:
    old = settings(app)
    assert post_form(as_role("admin"), PAGE, current_form(app)).status_code == 302
    assert settings(app) == old


def test_chroot_empty_means_none_and_the_default_folder_leaves_no_key(app: Flask, as_role) -> None:
    client = as_role("operator")
    post_form(client, PAGE, current_form(app) | {"chroot": ""})
    assert settings(app)["chroot"] is None
    assert 'name="chroot" value=""' in client.get(PAGE).get_data(as_text=True)
    post_form(client, PAGE, current_form(app) | {"chroot": "/var/lib/haproxy"})
    assert "chroot" not in settings(app)


def test_log_targets_are_edited_as_lines(app: Flask, as_role) -> None:
    client = as_role("operator")
    lines = "198.18.0.5:514 facility=local1 level=info format=rfc5424\nstdout format=raw"
    assert post_form(client, PAGE, current_form(app) | {"log_targets": lines}).status_code == 302
    assert settings(app)["log_targets"] == [
        {"address": "198.18.0.5:514", "facility": "local1", "level": "info", "format": "rfc5424"},
        {"address": "stdout", "format": "raw"},
    ]
    assert lines in client.get(PAGE).get_data(as_text=True)


def _error_at(page: str, name: str) -> str:
    label = f'<label for="f-{name.replace(".", "-")}">'
    start = page.index(label)
    return page[start : page.index("</div>\n", page.index("field-error", start)) + 6]


def test_a_bad_value_is_shown_at_its_input_and_nothing_is_saved(app: Flask, as_role) -> None:
    client = as_role("operator")
    before = newest(app).number
    response = post_form(client, PAGE, current_form(app) | {"tune.bufsize": "12"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "must be 1024-1048576, got 12" in _error_at(page, "tune.bufsize")
    assert 'value="12"' in page  # the typed value is shown again
    assert newest(app).number == before


def test_a_hostile_value_is_refused_at_its_input(app: Flask, as_role) -> None:
    client = as_role("operator")
    before = newest(app).number
    form = current_form(app) | {"tls.bind_ciphers": "HIGH\nlua-load /tmp/x.lua"}
    response = post_form(client, PAGE, form)
    assert response.status_code == 422
    assert "field-error" in _error_at(response.get_data(as_text=True), "tls.bind_ciphers")
    assert newest(app).number == before


def test_a_bad_log_target_line_is_named_by_its_line(app: Flask, as_role) -> None:
    client = as_role("operator")
    before = newest(app).number
    for lines, expected in (
        ("stdout\n198.18.0.5:514 facility=local9", "line 2: facility:"),
        ("stdout loud", "line 1: &#39;loud&#39; is not one of"),
        ("/dev/log\n/tmp/x level=info\n198.18.0.5", "line 3: address:"),
    ):
        response = post_form(client, PAGE, current_form(app) | {"log_targets": lines})
        assert response.status_code == 422, lines
        assert expected in _error_at(response.get_data(as_text=True), "log_targets"), lines
    assert newest(app).number == before


def test_a_viewer_sees_the_form_read_only_and_cannot_save(app: Flask, as_role) -> None:
    client = as_role("viewer")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Read-only" in page
    assert 'name="maxconn" value="20000" inputmode="numeric" readonly' in page
    before = newest(app).number
    response = post_form(client, PAGE, {"maxconn": "10"})
    assert response.status_code == 403
    assert newest(app).number == before


def test_a_stale_form_saves_nothing(app: Flask, as_role) -> None:
    client = as_role("operator")
    stale = client.get(PAGE).get_data(as_text=True)
    post_form(client, PAGE, current_form(app) | {"retries": "4"})
    before = newest(app).number
    token = re.search(r'name="csrf_token" value="([^"]+)"', stale)
    base = re.search(r'name="base_revision" value="(\d*)"', stale)
    assert token and base
    data = current_form(app) | {
        "retries": "5",
        "csrf_token": token.group(1),
        "base_revision": base.group(1),
    }
    response = client.post(PAGE, data=data)
    assert response.status_code == 302
    assert newest(app).number == before
    assert settings(app)["retries"] == 4
    assert "Someone changed the model" in client.get(PAGE).get_data(as_text=True)


def haproxy_failures(app: Flask) -> list[str]:
    """Return what the real haproxy -c / keepalived -t say against the newest model."""
    report = check_rendered(render_model(validate_data(document(app)).model))
    return [f"{c.tool} {c.host}/{c.file}: {c.output}" for c in report.failures]
