"""The deploy plan says what a keepalived.conf change does, and warns when adverts change."""

from __future__ import annotations

from controlplane.deploy.change_plan import plan_host
from controlplane.deploy.sequence import vip_moves
from controlplane.render import KEEPALIVED_FILE, render_model

from ..lab.deploying import lab_model


def files(*changes) -> dict[str, str]:
    return dict(render_model(lab_model(*changes)).host("lb1").files)


def keepalived_plan(*changes) -> list[tuple[str, str]]:
    plan = plan_host("lb1", files(), files(*changes))
    return [(c.what, c.path) for c in plan.changes if c.file == KEEPALIVED_FILE]


def options(**values):
    def change(data: dict) -> None:
        data["vip_pairs"][0].setdefault("keepalived", {}).update(values)

    return change


def vip(address: str):
    def change(data: dict) -> None:
        data["vip_pairs"][0]["vips"].append(address)

    return change


def test_first_only_adverts_with_one_vip_change_nothing() -> None:
    assert files(options(advertised_vips="first")) == files()


def test_a_track_script_is_a_keepalived_reload_naming_the_script_and_the_instance() -> None:
    script = {"name": "db", "command": "/usr/local/bin/check-db", "weight": 20}
    assert keepalived_plan(options(track_scripts=[script])) == [
        ("add vrrp_script edge:db", "keepalived reload"),
        ("vrrp_instance edge: track_script changed", "keepalived reload"),
    ]


def test_notify_and_garp_settings_read_as_old_and_new_values() -> None:
    change = options(notify={"master": "/usr/local/bin/on-master"}, garp={"master_delay": "5s"})
    assert keepalived_plan(change) == [
        ("vrrp_instance edge: garp_master_delay 1 -> 5", "keepalived reload"),
        (
            'vrrp_instance edge: notify_master (none) -> "/usr/local/bin/on-master"',
            "keepalived reload",
        ),
    ]


def test_a_vip_added_outside_the_adverts_is_named_as_such() -> None:
    plan = keepalived_plan(options(advertised_vips="first"), vip("198.18.0.101/24"))
    assert plan == [
        ("vrrp_instance edge: add VIP 198.18.0.101/24 (not in adverts)", "keepalived reload")
    ]


def test_a_vip_added_to_the_adverts_warns_of_split_brain() -> None:
    [(what, path)] = keepalived_plan(vip("198.18.0.101/24"))
    assert what.startswith(
        "vrrp_instance edge: the VIPs its adverts carry change "
        "(198.18.0.100/24 -> 198.18.0.100/24, 198.18.0.101/24)"
    )
    assert path == "keepalived reload"
    moves = vip_moves(
        "lb1", files()[KEEPALIVED_FILE], files(vip("198.18.0.101/24"))[KEEPALIVED_FILE]
    )
    assert any("split brain" in line and "advertised_vips: first" in line for line in moves)


def test_with_first_only_adverts_adding_a_vip_warns_of_nothing() -> None:
    before = files(options(advertised_vips="first"))[KEEPALIVED_FILE]
    after = files(options(advertised_vips="first"), vip("198.18.0.101/24"))[KEEPALIVED_FILE]
    assert vip_moves("lb1", before, after) == [
        "lb1: VIP 198.18.0.101/24 is new in VRRP instance edge"
    ]


def test_an_ipv6_frontend_vip_is_a_haproxy_reload() -> None:
    def ipv6(data: dict) -> None:
        data["vip_pairs"][0]["vips"].append("2001:2::100/64")
        data["frontends"][0]["vip"] = "2001:2::100"

    plan = plan_host("lb1", files(), files(ipv6))
    assert plan.haproxy_path == "reload"
    assert ("vrrp_instance edge: add VIP 2001:2::100/64 (not in adverts)", "keepalived reload") in [
        (c.what, c.path) for c in plan.changes
    ]
