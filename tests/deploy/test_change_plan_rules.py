"""The change plan names which part of a frontend changed; rules and limits mean a reload."""

from __future__ import annotations

from controlplane.deploy.attached import attached_digests, attached_texts
from controlplane.deploy.change_plan import plan_host
from controlplane.render import render_model

from ..lab.deploying import lab_model


def files(*changes) -> dict[str, str]:
    return dict(render_model(lab_model(*changes)).host("lb1").files)


def web(**values):
    def change(data: dict) -> None:
        data["frontends"][0].update(values)

    return change


DENY_ADMIN = {"when": {"path_prefix": "/admin"}, "deny": {}}
HSTS = {"hsts": {}}


def planned(*changes_before, after) -> list[tuple[str, str]]:
    plan = plan_host("lb1", files(*changes_before), files(*after))
    return [(c.what, c.path) for c in plan.changes]


def test_a_new_rule_is_a_reload_named_rules() -> None:
    assert planned(after=[web(rules=[DENY_ADMIN])]) == [("frontend web: rules changed", "reload")]


def test_reordering_rules_is_a_reload_named_rule_order() -> None:
    before = web(rules=[DENY_ADMIN, HSTS])
    after = web(rules=[HSTS, DENY_ADMIN])
    # Unnamed rules are named by position, so moving them changes their ACL names too.
    assert planned(before, after=[after]) == [("frontend web: rules changed", "reload")]
    named = [{"name": "a", **DENY_ADMIN}, {"name": "b", **HSTS}]
    assert planned(web(rules=named), after=[web(rules=named[::-1])]) == [
        ("frontend web: rule order changed", "reload")
    ]


def test_access_lists_and_rate_limits_are_named_apart_from_rules() -> None:
    access = web(access={"deny": ["198.18.99.0/24"]})
    assert planned(after=[access]) == [("frontend web: access list changed", "reload")]
    limit = web(rate_limit={"requests": 10})
    # The first rate limit of a pair also adds its peers section (and localpeer).
    assert planned(after=[limit]) == [
        ("global: changed", "reload"),
        ("add peers lbctl:edge", "reload"),
        ("frontend web: rate limit changed", "reload"),
    ]


def test_a_frontend_setting_change_is_named_settings() -> None:
    assert planned(after=[web(maxconn=100)]) == [("frontend web: settings changed", "reload")]


def test_changing_an_access_list_is_a_runtime_map_update() -> None:
    """The lists are map files the ACLs load with -M: map commands replace them, no reload."""
    before = render_model(lab_model(web(access={"deny": ["198.18.99.0/24"]})))
    after = render_model(lab_model(web(access={"deny": ["198.18.99.0/24", "198.18.0.5/32"]})))
    assert before.host("lb1").files == after.host("lb1").files  # haproxy.cfg names the file
    plan = plan_host(
        "lb1",
        dict(before.host("lb1").files),
        dict(after.host("lb1").files),
        attached_digests(before)["lb1"],
        attached_texts(after)["lb1"],
    )
    assert [(c.what, c.path) for c in plan.changes] == [
        (
            "content changed (prepare map + add map + commit map, no reload)",
            "runtime",
        )
    ]
    assert [c.file for c in plan.changes] == ["maps/access/web.deny.map"]
