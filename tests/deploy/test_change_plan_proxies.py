"""User lists, stats pages, logging, proxy options and tuning: each change is a named reload.

HAProxy 2.6 reads these only when it loads its configuration (its runtime API sets a
server's weight, state and address, which the plan already sends live), so each is a
reload; the plan names the part that changed.
"""

from __future__ import annotations

from typing import Any

from controlplane.deploy.change_plan import plan_host
from controlplane.render import render_model

from ..lab.deploying import lab_model
from ..model.test_userlists import SHA256, SHA512


def files(*changes) -> dict[str, str]:
    return dict(render_model(lab_model(*changes)).host("lb1").files)


def planned(*before, after) -> list[tuple[str, str]]:
    plan = plan_host("lb1", files(*before), files(*after))
    return [(c.what, c.path) for c in plan.changes]


def users(password: str):
    def change(data: dict[str, Any]) -> None:
        data["userlists"] = [{"name": "ops", "users": [{"name": "ann", "password": password}]}]

    return change


def stats(**values: Any):
    def change(data: dict[str, Any]) -> None:
        page = {"name": "ops", "vip_pair": data["vip_pairs"][0]["name"], "port": 9000}
        data["stats_pages"] = [{**page, "userlist": "ops", **values}]

    return change


def frontend(**values: Any):
    def change(data: dict[str, Any]) -> None:
        data["frontends"][0].update(values)

    return change


def pool(**values: Any):
    def change(data: dict[str, Any]) -> None:
        data["pools"][0].update(values)

    return change


def settings(**values: Any):
    def change(data: dict[str, Any]) -> None:
        data["settings"].update(values)

    return change


def test_a_password_change_is_a_reload_that_never_shows_the_hash() -> None:
    plan = planned(users(SHA512), after=[users(SHA256)])
    assert plan == [("userlist ops: changed", "reload")]
    assert SHA512 not in str(plan) and SHA256 not in str(plan)


def test_a_stats_page_is_added_and_changed_by_reloads() -> None:
    assert planned(users(SHA512), after=[users(SHA512), stats()]) == [
        ("add listen stats:ops", "reload")
    ]
    assert planned(users(SHA512), stats(), after=[users(SHA512), stats(refresh="5s")]) == [
        ("listen stats:ops: changed", "reload")
    ]


def test_frontend_logging_timeouts_and_compression_are_named() -> None:
    name = lab_model().frontends[0].name
    assert planned(after=[frontend(logging={"request_id": {"header": "X-Request-ID"}})]) == [
        (f"frontend {name}: logging changed", "reload")
    ]
    assert planned(
        after=[frontend(timeouts={"client": "1h"}, compression={"algorithms": ["gzip"]})]
    ) == [(f"frontend {name}: compression, timeouts changed", "reload")]


def test_pool_checks_timeouts_and_server_defaults_are_named() -> None:
    name = lab_model().pools[0].name
    assert planned(after=[pool(timeouts={"tunnel": "2h"})]) == [
        (f"backend {name}: timeouts changed", "reload")
    ]
    assert planned(after=[pool(default_server={"slow_start": "10s"})]) == [
        (f"backend {name}: server defaults changed", "reload")
    ]


def test_a_server_option_is_a_reload_but_its_weight_stays_runtime() -> None:
    def server(**values: Any):
        def change(data: dict[str, Any]) -> None:
            data["pools"][0]["servers"][0].update(values)

        return change

    pool_name = lab_model().pools[0].name
    server_name = lab_model().pools[0].servers[0].name
    assert planned(after=[server(send_proxy="v2")]) == [
        (f"server {pool_name}/{server_name}: address, port or options changed", "reload")
    ]
    assert planned(server(send_proxy="v2"), after=[server(send_proxy="v2", weight=7)]) == [
        (f"server {pool_name}/{server_name}: weight 100 -> 7", "runtime")
    ]


def test_global_logging_and_tuning_are_a_global_reload() -> None:
    after = [settings(log_targets=[{"address": "stdout", "format": "raw"}], nbthread=2)]
    assert planned(after=after) == [("global: changed", "reload")]
