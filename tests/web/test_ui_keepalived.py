"""Model pages for a VIP pair's keepalived options: flat inputs and lists below the pair."""

from __future__ import annotations

from flask import Flask

from .ui_support import document, post_form

PAIR_FORM = {
    "name": "edge",
    "hosts.0": "lb1",
    "hosts.1": "lb2",
    "mode": "active-passive",
    "virtual_router_id": "51",
    "vips": "198.18.0.100/24",
    "advert_interval": "1s",
    "preempt": "1",
    "unicast": "1",
    "master_priority": "150",
    "backup_priority": "100",
    "track_weight": "60",
}


def edge(app: Flask) -> dict:
    return next(p for p in document(app)["vip_pairs"] if p["name"] == "edge")


def test_pair_options_are_saved_and_defaults_leave_no_trace(app: Flask, as_role) -> None:
    client = as_role("operator")
    form = {
        **PAIR_FORM,
        "keepalived.advertised_vips": "first",
        "keepalived.notify.master": "/usr/local/bin/on-master edge",
        "keepalived.garp.master_delay": "1s",  # the default: left out
    }
    assert post_form(client, "/model/vip_pairs/edge", form).status_code == 302
    assert edge(app)["keepalived"] == {
        "advertised_vips": "first",
        "notify": {"master": "/usr/local/bin/on-master edge"},
    }
    form["keepalived.advertised_vips"] = "all"
    form["keepalived.notify.master"] = ""
    assert post_form(client, "/model/vip_pairs/edge", form).status_code == 302
    assert "keepalived" not in edge(app)


def test_a_hostile_notify_command_is_refused_next_to_its_input(app: Flask, as_role) -> None:
    form = {**PAIR_FORM, "keepalived.notify.fault": '/usr/local/bin/x "; reboot'}
    response = post_form(as_role("operator"), "/model/vip_pairs/edge", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    label = '<label for="f-keepalived-notify-fault">'
    assert "field-error" in page[page.index(label) : page.index(label) + 2000]


def test_track_scripts_are_added_under_keepalived_and_removed_with_it(app: Flask, as_role) -> None:
    client = as_role("operator")
    script = {"name": "db", "command": "/usr/local/bin/check-db --port 5432", "weight": "100"}
    response = post_form(client, "/model/vip_pairs/edge/track_scripts/+new", script)
    assert response.status_code == 302
    assert edge(app)["keepalived"]["track_scripts"] == [
        {"name": "db", "command": "/usr/local/bin/check-db --port 5432", "weight": 100}
    ]
    assert "check-db" in client.get("/model/vip_pairs/edge").get_data(as_text=True)
    post_form(
        client, "/model/vip_pairs/edge/track_scripts/db/delete", {}, page="/model/vip_pairs/edge"
    )
    assert "keepalived" not in edge(app)


def test_a_tracked_interface_error_names_its_input(app: Flask, as_role) -> None:
    client = as_role("operator")
    response = post_form(client, "/model/vip_pairs/edge/track_interfaces/+new", {"name": "lo"})
    assert response.status_code == 422
    assert "loopback" in response.get_data(as_text=True)
