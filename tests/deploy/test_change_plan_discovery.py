"""The deploy plan for resolvers, servers that follow DNS, server templates and binds.

An address a resolver changes at runtime is never in the files, so it never shows in a
plan: HAProxy applies it itself, with no reload. What the files do say is classified here.
"""

from __future__ import annotations

from controlplane.deploy.change_plan import plan_host
from controlplane.render import render_model
from controlplane.runtime import ServerChange

from ..lab.deploying import lab_model
from ..lab.test_dns_discovery import discovery


def files(*changes) -> dict[str, str]:
    return dict(render_model(lab_model(*changes)).host("lb1").files)


def plan_of(before: list, after: list) -> list[tuple[str, str]]:
    plan = plan_host("lb1", files(*before), files(*after))
    return [(c.what, c.path) for c in plan.changes if c.file == "haproxy.cfg"]


def resolver(**values):
    def change(data: dict) -> None:
        data["resolvers"][0].update(values)

    return change


def named_pool(**values):
    def change(data: dict) -> None:
        next(p for p in data["pools"] if p["name"] == "named").update(values)

    return change


def consul_template(**values):
    def change(data: dict) -> None:
        pool = next(p for p in data["pools"] if p["name"] == "consul")
        pool["server_templates"][0].update(values)

    return change


def test_a_resolvers_section_change_is_a_reload() -> None:
    changed = resolver(timeouts={"resolve": "1s"})
    assert plan_of([discovery], [discovery, changed]) == [("resolvers lab-dns: changed", "reload")]


def test_a_pool_starting_to_follow_dns_is_a_reload() -> None:
    plan = plan_of([discovery, named_pool(resolvers=None)], [discovery])
    assert plan == [("server named/app: address, port or options changed", "reload")]


def test_a_weight_change_of_a_server_that_follows_dns_stays_runtime() -> None:
    def heavier(data: dict) -> None:
        next(p for p in data["pools"] if p["name"] == "named")["servers"][0]["weight"] = 50

    plan = plan_host("lb1", files(discovery), files(discovery, heavier))
    assert [(c.what, c.path) for c in plan.changes] == [
        ("server named/app: weight 100 -> 50", "runtime")
    ]
    assert plan.runtime == [ServerChange("named", "app", "ready", 50)]


def test_more_template_slots_are_a_reload() -> None:
    plan = plan_of([discovery], [discovery, consul_template(count=5)])
    assert plan == [("backend consul: settings changed", "reload")]


def test_a_new_bind_is_a_reload() -> None:
    def more_binds(data: dict) -> None:
        web = next(f for f in data["frontends"] if f["name"] == "web")
        web["binds"] = [{"address": "*", "port": 8090}]

    assert plan_of([discovery], [discovery, more_binds]) == [
        ("frontend web: settings changed", "reload")
    ]


def test_the_same_model_plans_nothing_whatever_dns_answers() -> None:
    assert plan_host("lb1", files(discovery), files(discovery)).changes == []
