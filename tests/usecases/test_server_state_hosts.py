"""A server change goes to the hosts whose config has the pool's backend, and only those."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from controlplane.store import Actor
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
