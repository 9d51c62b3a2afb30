"""Frontend rules in the web UI: an ordered list, added, edited, moved and deleted by position."""

from __future__ import annotations

from flask import Flask

from .ui_support import document, post_form

PAGE = "/model/frontends/web"


def rules(app: Flask) -> list[dict]:
    web = next(f for f in document(app)["frontends"] if f["name"] == "web")
    return web.get("rules", [])


def test_rules_are_added_moved_and_deleted_by_position(app: Flask, as_role) -> None:
    client = as_role("operator")
    deny = {"when.path_prefix": "/admin", "unless.source": "198.18.0.0/24", "deny.status": "403"}
    post_form(client, f"{PAGE}/rules/+new", deny)
    headers = {"name": "tag", "request_headers.set": "X-Env: prod\nX-Team: edge"}
    post_form(client, f"{PAGE}/rules/+new", headers)
    assert rules(app) == [
        {
            "when": {"path_prefix": "/admin"},
            "unless": {"source": ["198.18.0.0/24"]},
            "deny": {},  # 403 is the default: left out, as export does
        },
        {"name": "tag", "request_headers": {"set": {"X-Env": "prod", "X-Team": "edge"}}},
    ]
    post_form(client, f"{PAGE}/rules/1/move", {"direction": "up"}, page=PAGE)
    assert [r.get("name") for r in rules(app)] == ["tag", None]
    page = client.get(PAGE).get_data(as_text=True)
    assert "<td>path_prefix /admin; unless source 198.18.0.0/24</td>" in page
    assert "<td>request headers set X-Env=prod X-Team=edge</td>" in page
    post_form(client, f"{PAGE}/rules/0/delete", {}, page=PAGE)
    assert [r.get("deny") for r in rules(app)] == [{}]


def test_a_rule_form_shows_the_models_error_at_the_input(app: Flask, as_role) -> None:
    client = as_role("operator")
    before = rules(app)
    form = {"when.host": "bad host'", "use_pool": "app"}
    response = post_form(client, f"{PAGE}/rules/+new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    host = page[
        page.index('<label for="f-when-host">') : page.index('<label for="f-when-path_prefix">')
    ]
    assert "field-error" in host and "must be a DNS name" in host
    assert rules(app) == before


def test_two_actions_in_one_rule_are_refused_with_the_reason(app: Flask, as_role) -> None:
    form = {"use_pool": "app", "deny.status": "403"}
    response = post_form(as_role("operator"), f"{PAGE}/rules/+new", form)
    assert response.status_code == 422
    assert "a rule has exactly one action" in response.get_data(as_text=True)


def test_a_viewer_cannot_move_a_rule(as_role) -> None:
    response = post_form(as_role("viewer"), f"{PAGE}/rules/0/move", {"direction": "up"}, PAGE)
    assert response.status_code == 403


def test_a_frontends_access_lists_and_rate_limit_are_edited_on_its_form(
    app: Flask, as_role
) -> None:
    client = as_role("operator")
    page = client.get(PAGE).get_data(as_text=True)
    assert 'name="access.deny"' in page and 'name="rate_limit.requests"' in page
    web = next(f for f in document(app)["frontends"] if f["name"] == "web")
    form = {k: str(v) for k, v in web.items() if isinstance(v, str | int)}
    form |= {"access.deny": "198.18.99.0/24, 198.18.98.0/24", "rate_limit.requests": "100"}
    post_form(client, PAGE, form)
    web = next(f for f in document(app)["frontends"] if f["name"] == "web")
    assert web["access"] == {"deny": ["198.18.99.0/24", "198.18.98.0/24"]}
    assert web["rate_limit"] == {"requests": 100}
    form["rate_limit.requests"] = "0"
    response = post_form(client, PAGE, form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    start = page.index('<label for="f-rate_limit-requests">')
    field = page[start : page.index('<label for="f-rate_limit-period">')]
    assert "field-error" in field and "must be 1-1000000000, got 0" in field
