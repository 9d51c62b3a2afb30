"""Stats pages: opt-in, on a pair's VIP, behind a user list; clashes refused by path."""

from __future__ import annotations

from typing import Any

from controlplane.model import validate_data
from tests.model.test_userlists import with_userlist
from tests.support import model_errors


def with_stats(example: dict[str, Any], **fields: Any) -> dict[str, Any]:
    with_userlist(example)
    page = {"name": "ops", "vip_pair": "edge", "port": 8404, "userlist": "admins"}
    example["stats_pages"] = [{**page, **fields}]
    return example


def test_a_stats_page_with_a_userlist_is_valid_without_warnings(example) -> None:
    loaded = validate_data(with_stats(example, refresh="10s", admin=True))
    assert [w for w in loaded.warnings if "stats_pages" in w.path] == []


def test_a_page_anyone_can_see_is_a_warning(example) -> None:
    loaded = validate_data(with_stats(example, userlist=None))
    assert any(
        w.path == "stats_pages[ops].userlist" and "anyone" in w.message for w in loaded.warnings
    )


def test_admin_actions_need_a_userlist(example) -> None:
    errors = model_errors(with_stats(example, userlist=None, admin=True))
    assert errors == [
        "stats_pages[ops].admin: admin actions need a userlist: anyone could disable servers"
    ]


def test_an_unknown_userlist_or_pair_is_refused_by_path(example) -> None:
    errors = model_errors(with_stats(example, userlist="admin", vip_pair="edg"))
    assert "stats_pages[ops].userlist: unknown userlist 'admin' (known: 'admins')" in errors
    assert any(e.startswith("stats_pages[ops].vip_pair: unknown vip_pair 'edg'") for e in errors)


def test_a_page_cannot_take_a_frontends_port(example) -> None:
    errors = model_errors(with_stats(example, port=80))
    assert errors == ["stats_pages[ops].port: 198.18.0.100:80 is already bound by frontends[web]"]


def test_a_page_cannot_take_lbctls_metrics_listener(example) -> None:
    example["settings"]["admin_address"] = "198.18.0.100"
    errors = model_errors(with_stats(example, port=8405))
    assert errors == [
        "stats_pages[ops].port: 198.18.0.100:8405 is already bound by lbctl's metrics "
        "listener (settings.metrics_port)"
    ]


def test_a_vip_of_another_pair_is_refused(example) -> None:
    errors = model_errors(with_stats(example, vip="198.18.0.200"))
    assert errors == [
        "stats_pages[ops].vip: 198.18.0.200 is not a VIP of vip_pairs[edge] (198.18.0.100)"
    ]


def test_the_uri_cannot_inject(example) -> None:
    for uri in ["/stats x", "/stats\n    bind :1", "/st#ats", "stats"]:
        errors = model_errors(with_stats(example, uri=uri))
        assert errors and errors[0].startswith("stats_pages[ops].uri:"), uri


def test_a_page_cannot_take_a_port_a_frontend_binds_on_every_address(example) -> None:
    example["frontends"][0]["binds"] = [{"address": "*", "port": 8404}]
    errors = model_errors(with_stats(example))
    assert errors == [
        "stats_pages[ops].port: 198.18.0.100:8404 is already bound by frontends[web].binds[0]"
    ]
