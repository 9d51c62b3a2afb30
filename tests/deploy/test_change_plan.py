"""The deploy plan says, change by change, whether the runtime API suffices."""

from __future__ import annotations

from controlplane.deploy.attached import digest
from controlplane.deploy.change_plan import plan_host
from controlplane.render import HAPROXY_FILE, render_model
from controlplane.runtime import ServerChange, server_commands

from ..lab.deploying import lab_model


def files(*changes) -> dict[str, str]:
    return dict(render_model(lab_model(*changes)).host("lb1").files)


def app2(**values):
    def change(data: dict) -> None:
        data["pools"][0]["servers"][1].update(values)

    return change


def test_a_weight_change_goes_through_the_runtime_api() -> None:
    plan = plan_host("lb1", files(), files(app2(weight=80)))
    assert [(c.what, c.path) for c in plan.changes] == [
        ("server app/app2: weight 50 -> 80", "runtime")
    ]
    assert plan.haproxy_path == "runtime"
    assert plan.runtime == [ServerChange("app", "app2", "ready", 80)]


def test_drain_and_maint_are_runtime_state_changes() -> None:
    drained = plan_host("lb1", files(), files(app2(state="drain")))
    assert drained.runtime == [ServerChange("app", "app2", "drain", 0)]
    maint = plan_host("lb1", files(), files(app2(state="maint")))
    assert maint.runtime == [ServerChange("app", "app2", "maint", 50)]
    assert server_commands(maint.runtime) == [
        "set server app/app2 state maint",
        "set server app/app2 weight 50",
    ]


def test_an_address_change_needs_a_reload() -> None:
    plan = plan_host("lb1", files(), files(app2(port=8081)))
    assert [(c.what, c.path) for c in plan.changes] == [
        ("server app/app2: address, port or options changed", "reload")
    ]
    assert plan.haproxy_path == "reload" and plan.runtime == []


def test_a_new_server_needs_a_reload() -> None:
    def add(data: dict) -> None:
        data["pools"][1]["servers"].append({"name": "app3", "address": "198.18.0.22", "port": 8080})

    plan = plan_host("lb1", files(), files(add))
    assert [(c.what, c.path) for c in plan.changes] == [("add server app-tcp/app3", "reload")]


def test_a_runtime_change_next_to_a_reload_change_is_reloaded_with_it() -> None:
    def check(data: dict) -> None:
        data["health_checks"][0]["interval"] = "1s"

    plan = plan_host("lb1", files(), files(app2(weight=80), check))
    assert plan.haproxy_path == "reload" and plan.runtime == []
    assert ("server app/app2: weight 50 -> 80", "runtime") in [
        (c.what, c.path) for c in plan.changes
    ]


def test_a_keepalived_change_is_a_keepalived_reload() -> None:
    def advert(data: dict) -> None:
        data["vip_pairs"][0]["advert_interval"] = "2s"

    plan = plan_host("lb1", files(), files(advert))
    assert [(c.file, c.path) for c in plan.changes] == [("keepalived.conf", "keepalived reload")]
    assert plan.haproxy_path == "none"


def test_a_first_deploy_is_a_start() -> None:
    plan = plan_host("lb1", {}, files())
    assert {c.path for c in plan.changes} == {"reload", "keepalived reload"}


def test_identical_files_plan_nothing() -> None:
    assert plan_host("lb1", files(), files()).changes == []


# --- attached files (certificates, CA/CRL files, maps, error pages) ---------------------------


def _files_plan(old_attached: dict[str, str], new_attached: dict[str, str], cfg: str = "x\n"):
    old = {key: digest(text) for key, text in old_attached.items()}
    return plan_host("lb1", {HAPROXY_FILE: "x\n"}, {HAPROXY_FILE: cfg}, old, new_attached)


def test_a_certificate_content_change_is_a_runtime_rotation() -> None:
    plan = _files_plan({"certs/site.pem": "old"}, {"certs/site.pem": "new"})
    assert plan.haproxy_path == "runtime"
    assert [c.as_dict() for c in plan.changes] == [
        {
            "host": "lb1",
            "file": "certs/site.pem",
            "what": "content changed (set ssl cert + commit, no reload)",
            "path": "runtime",
        }
    ]


def test_ca_crl_and_map_contents_rotate_too_but_error_pages_and_sni_lists_reload() -> None:
    for key in ("ca/clients.pem", "crl/clients.pem", "maps/hosts.map"):
        assert _files_plan({key: "a 1"}, {key: "b 1"}).haproxy_path == "runtime", key
    for key in ("errors/maintenance.http", "certs/web.crt-list"):
        assert _files_plan({key: "a"}, {key: "b"}).haproxy_path == "reload", key


def test_a_new_or_removed_file_or_a_reloading_config_takes_everything_by_reload() -> None:
    assert _files_plan({}, {"certs/site.pem": "new"}).haproxy_path == "reload"
    assert _files_plan({"certs/site.pem": "a"}, {}).haproxy_path == "reload"
    both = _files_plan({"certs/a.pem": "a", "certs/b.pem": "a"}, {"certs/a.pem": "b"})
    assert both.haproxy_path == "reload"
    with_config = _files_plan({"certs/a.pem": "a"}, {"certs/a.pem": "b"}, cfg="global\n")
    assert with_config.haproxy_path == "reload"
    assert {c.path for c in with_config.changes} == {"reload"}


def test_a_certificate_too_large_for_one_runtime_command_is_reloaded() -> None:
    big = "x" * 20_000
    assert _files_plan({"certs/a.pem": "a"}, {"certs/a.pem": big}).haproxy_path == "reload"
    big_map = "x 1\n" * 10_000
    assert _files_plan({"maps/m.map": "a 1"}, {"maps/m.map": big_map}).haproxy_path == "runtime"


def test_a_map_entry_without_a_value_is_reloaded() -> None:
    assert _files_plan({"maps/m.map": "a 1\n"}, {"maps/m.map": "a\n"}).haproxy_path == "reload"
    assert _files_plan({"maps/m.map": "a 1\n"}, {"maps/m.map": "# c\na 2\n"}).haproxy_path == (
        "runtime"
    )
