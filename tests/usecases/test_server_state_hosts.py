"""A server change goes to the hosts whose config has the pool's backend, and only those."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from controlplane.render import render_model
from controlplane.store import Actor
from controlplane.store.revision_cache import REVISIONS
from controlplane.usecases import revisions, server_state

ACTOR = Actor("alice", "operator", via="cli")


def _two_pairs(example: dict[str, Any]) -> dict[str, Any]:
    """The example without files, plus a second pair (lb3, lb4) whose frontend uses `extra`."""
    document = copy.deepcopy(example)
    for key in ("certificates", "ca_bundles", "crls", "maps", "error_pages"):
        document.pop(key, None)
    document["frontends"] = [f for f in document["frontends"] if "tls" not in f]
    document["lb_hosts"] += [
        {"name": "lb3", "address": "198.18.0.12", "interface": "eth0"},
        {"name": "lb4", "address": "198.18.0.13", "interface": "eth0"},
    ]
    document["vip_pairs"].append(
        {
            "name": "other",
            "hosts": ["lb3", "lb4"],
            "virtual_router_id": 61,
            "vips": ["198.18.0.200/24"],
        }
    )
    extra = copy.deepcopy(document["pools"][0]) | {"name": "extra"}
    document["pools"].append(extra)
    document["frontends"].append(
        {
            "name": "other-web",
            "vip_pair": "other",
            "port": 80,
            "mode": extra.get("mode", "http"),
            "default_pool": "extra",
        }
    )
    return document


def test_a_server_change_goes_to_the_hosts_serving_its_pool(session, example, tmp_path: Path):
    document = _two_pairs(example)
    revisions.save_document(session, "prod", document, ACTOR, "two pairs", None)
    server = document["pools"][-1]["servers"][0]["name"]
    missing = tmp_path / "broken-inventory.yml"
    missing.write_text("lb: [unclosed\n")
    extra = server_state.set_server(session, "prod", missing, "extra", server, ACTOR, weight=7)
    assert [h.host for h in extra.hosts] == ["lb3", "lb4"]
    first = document["pools"][0]
    changed = server_state.set_server(
        session, "prod", missing, first["name"], first["servers"][0]["name"], ACTOR, weight=9
    )
    assert [h.host for h in changed.hosts] == ["lb1", "lb2"]
    assert not changed.applied  # no inventory: reported per host, saved all the same
    assert revisions.revision_document(changed.revision)["pools"][0]["servers"][0]["weight"] == 9


def test_a_server_changes_rendering_is_made_from_the_previous_one_and_equals_a_full_render(
    session, example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    document = _two_pairs(example)
    head = revisions.save_document(session, "prod", document, ACTOR, "two pairs", None)
    revisions.revision_rendering(session, head)  # made, as the preview or a change makes it
    edits: list[str] = []
    real = revisions.render_edit

    def counted(*args: Any) -> Any:  # the real render, counted
        edits.append("edit")
        return real(*args)

    monkeypatch.setattr(revisions, "render_edit", counted)
    pool = document["pools"][0]
    server = pool["servers"][0]["name"]
    inventory = tmp_path / "none.yml"
    changed = server_state.set_server(
        session, "prod", inventory, pool["name"], server, ACTOR, state="maint"
    )
    assert edits == ["edit"]
    contents, rendered = revisions.revision_rendering(session, changed.revision)
    model = REVISIONS.loaded(changed.revision).model
    assert rendered == render_model(model, contents)
    assert any(
        f"server {server} " in line and "disabled" in line
        for line in rendered.hosts[0].files["haproxy.cfg"].splitlines()
    )
