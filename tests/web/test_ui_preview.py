"""The preview shows the change first, and the rendered files by section on demand."""

from __future__ import annotations

from flask import Flask

from .ui_support import newest, post_form, record_deployed


def _deployed_then_one_server_changed(app: Flask, as_role):
    record_deployed(app, newest(app).number)
    client = as_role("operator")
    form = {"name": "app1", "address": "198.18.0.20", "port": "8080", "weight": "7"}
    assert post_form(client, "/model/pools/app/servers/app1", form).status_code == 302
    return client


def test_the_preview_shows_the_one_change_and_no_file_text(app: Flask, as_role) -> None:
    client = _deployed_then_one_server_changed(app, as_role)
    page = client.get("/preview").get_data(as_text=True)
    assert '<span class="add">+    server app1 198.18.0.20:8080' in page
    assert "weight 7" in page
    # The files are listed, not printed: their sections load when asked.
    assert "data-outline-src=" in page and "backend app-tcp" not in page
    assert page.count('<span class="add">') <= 2


def test_a_files_outline_lists_its_sections_with_their_lines(app: Flask, as_role) -> None:
    client = as_role("viewer")
    number = newest(app).number
    outline = client.get(f"/preview/{number}/files/lb1/haproxy.cfg").get_json()
    titles = [s["title"] for s in outline["sections"]]
    assert titles[:3] == ["header", "global", "defaults"]
    assert "backend app" in titles and "frontend web" in titles
    assert outline["total"] == len(titles) and outline["next"] is None
    lines = [s["first_line"] for s in outline["sections"]]
    assert lines == sorted(lines) and lines[0] == 1


def test_a_section_holds_its_text_from_its_header(app: Flask, as_role) -> None:
    client = as_role("viewer")
    number = newest(app).number
    outline = client.get(f"/preview/{number}/files/lb1/haproxy.cfg").get_json()
    index = next(s["index"] for s in outline["sections"] if s["title"] == "backend app")
    section = client.get(f"/preview/{number}/files/lb1/haproxy.cfg/{index}").get_json()
    assert section["text"].startswith("backend app\n")
    assert "server app1 198.18.0.20:8080" in section["text"]


def test_sections_mask_vrrp_passwords(app: Flask, as_role) -> None:
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
    number = newest(app).number
    outline = client.get(f"/preview/{number}/files/lb1/keepalived.conf").get_json()
    texts = [
        client.get(f"/preview/{number}/files/lb1/keepalived.conf/{s['index']}").get_json()["text"]
        for s in outline["sections"]
    ]
    assert any("auth_pass ********" in t for t in texts)
    assert not any("s3cr3t" in t for t in texts)


def test_unknown_files_sections_and_revisions_are_not_found(app: Flask, as_role) -> None:
    client = as_role("viewer")
    number = newest(app).number
    assert client.get(f"/preview/{number}/files/lb9/haproxy.cfg").status_code == 404
    assert client.get(f"/preview/{number}/files/lb1/passwd").status_code == 404
    assert client.get(f"/preview/{number}/files/lb1/haproxy.cfg/9999").status_code == 404
    assert client.get(f"/preview/{number + 5}/files/lb1/haproxy.cfg").status_code == 404


def test_the_file_endpoints_need_a_login(app: Flask) -> None:
    number = newest(app).number
    answer = app.test_client().get(f"/preview/{number}/files/lb1/haproxy.cfg")
    assert answer.status_code in (302, 401)
