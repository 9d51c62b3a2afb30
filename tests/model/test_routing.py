"""Routing rules, access lists and rate limits: what validates, and each error's field path."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from controlplane.model import validate_data
from controlplane.model.routing import Rule
from tests.rules_models import EVERY_KIND, model_with
from tests.support import ROOT, model_errors


def _rules(*rules: dict[str, Any], **frontend: Any) -> dict[str, Any]:
    return model_with({"default_pool": "app", "rules": list(rules), **frontend})


def _rule_warnings(data: dict[str, Any]) -> list[str]:
    return [str(w) for w in validate_data(data).warnings if w.path.startswith("frontends")]


def test_every_rule_kind_validates_warning_only_for_denies_after_routing() -> None:
    loaded = validate_data(_rules(*EVERY_KIND))
    assert [w.path for w in loaded.warnings] == [
        "frontends[fe0].rules[11]",
        "frontends[fe0].rules[14]",
    ]
    assert [r.action for r in loaded.model.frontends[0].rules][:4] == [
        "redirect",
        "redirect",
        "redirect",
        "basic_auth",
    ]


def test_a_rule_exports_as_it_was_written() -> None:
    rule = Rule.model_validate({"when": {"path": "/"}, "respond": {"status": 503}})
    expected = {"when": {"path": "/"}, "respond": {"status": 503}}
    assert rule.model_dump(exclude_defaults=True, exclude_unset=True) == expected


def test_a_frontend_with_only_rules_needs_no_default_pool() -> None:
    data = model_with({"rules": [{"redirect": {"scheme": "https", "code": 301}}]})
    assert model_errors(data) == []


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ({}, "frontends[fe0].rules[0]: a rule has exactly one action"),
        (
            {"use_pool": "app", "deny": {}},
            "a rule has exactly one action (use_pool, redirect, deny, respond, request_headers, "
            "response_headers, hsts, basic_auth); got use_pool, deny",
        ),
        ({"when": {}, "deny": {}}, "frontends[fe0].rules[0].when: a condition needs"),
        ({"redirect": {"code": 301}}, "give exactly one of scheme, location or prefix"),
        (
            {"redirect": {"location": "/x", "keep_query": False}},
            "keep_query applies to scheme and prefix",
        ),
        ({"deny": {"status": 418}}, "frontends[fe0].rules[0].deny.status: HAProxy"),
        ({"respond": {"error_page": "down", "body": "x"}}, "an error_page is a whole response"),
        ({"request_headers": {}}, "give at least one of set, add or delete"),
        (
            {"when": {"header": {"name": "X", "equals": "a", "matches": "b"}}, "deny": {}},
            "give equals or matches, not both",
        ),
        (
            {"when": {"source": ["198.18.0.1/24"]}, "deny": {}},
            "frontends[fe0].rules[0].when.source[0]: has host bits set; write 198.18.0.0/24",
        ),
    ],
)
def test_malformed_rules_are_refused_with_their_path(rule: dict[str, Any], error: str) -> None:
    errors = model_errors(_rules(rule))
    assert any(error in e for e in errors), errors


# Each string field of a rule, with a value that would end a word or a line in haproxy.cfg.
HOSTILE = ["a'b", "a\nb", "a\rb", "a\tb", "x' if TRUE #", "ok\x00", "é"]
STRING_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("host", {"when": {"host": "{}"}, "deny": {}}, "when.host"),
    ("host_regex", {"when": {"host_regex": "{}"}, "deny": {}}, "when.host_regex"),
    ("path", {"when": {"path": "/{}"}, "deny": {}}, "when.path"),
    ("path_begins", {"when": {"path_begins": "/{}"}, "deny": {}}, "when.path_begins"),
    ("path_prefix", {"when": {"path_prefix": "/{}"}, "deny": {}}, "when.path_prefix"),
    ("path_ends", {"when": {"path_ends": "{}"}, "deny": {}}, "when.path_ends"),
    ("path_regex", {"when": {"path_regex": "{}"}, "deny": {}}, "when.path_regex"),
    ("method", {"when": {"method": ["{}"]}, "deny": {}}, "when.method[0]"),
    ("header.name", {"when": {"header": {"name": "{}"}}, "deny": {}}, "when.header.name"),
    (
        "header.equals",
        {"when": {"header": {"name": "X", "equals": "{}"}}, "deny": {}},
        "when.header.equals",
    ),
    (
        "header.matches",
        {"when": {"header": {"name": "X", "matches": "{}"}}, "deny": {}},
        "when.header.matches",
    ),
    ("query.name", {"when": {"query": {"name": "{}"}}, "deny": {}}, "when.query.name"),
    (
        "cookie.equals",
        {"when": {"cookie": {"name": "c", "equals": "{}"}}, "deny": {}},
        "when.cookie.equals",
    ),
    ("source", {"when": {"source": ["{}"]}, "deny": {}}, "when.source[0]"),
    ("sni", {"unless": {"sni": "{}"}, "deny": {}}, "unless.sni"),
    ("when_any", {"when_any": [{"host": "{}"}], "deny": {}}, "when_any[0].host"),
    ("redirect.location", {"redirect": {"location": "/{}"}}, "redirect.location"),
    ("redirect.prefix", {"redirect": {"prefix": "https://{}"}}, "redirect.prefix"),
    ("respond.content_type", {"respond": {"content_type": "text/{}"}}, "respond.content_type"),
    ("respond.body", {"respond": {"body": "{}"}}, "respond.body"),
    ("respond.error_page", {"respond": {"error_page": "{}"}}, "respond.error_page"),
    (
        "request_headers.set value",
        {"request_headers": {"set": {"X-A": "{}"}}},
        "request_headers.set.X-A",
    ),
    (
        "response_headers.add name",
        {"response_headers": {"add": {"{}": "v"}}},
        "response_headers.add",
    ),
    (
        "request_headers.delete",
        {"request_headers": {"delete": ["{}"]}},
        "request_headers.delete[0]",
    ),
    ("basic_auth.realm", {"basic_auth": {"userlist": "ops", "realm": "{}"}}, "basic_auth.realm"),
    ("basic_auth.userlist", {"basic_auth": {"userlist": "{}"}}, "basic_auth.userlist"),
    ("use_pool", {"use_pool": "{}"}, "use_pool"),
    ("name", {"name": "{}", "deny": {}}, "name"),
]


def _fill(template: Any, value: str) -> Any:
    if isinstance(template, dict):
        return {_fill(k, value): _fill(v, value) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, value) for v in template]
    return template.replace("{}", value) if isinstance(template, str) else template


@pytest.mark.parametrize(
    ("label", "template", "where"), STRING_FIELDS, ids=[f[0] for f in STRING_FIELDS]
)
@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
def test_hostile_strings_are_refused_in_every_field(
    label: str, template: dict[str, Any], where: str, hostile: str
) -> None:
    errors = model_errors(_rules(_fill(template, hostile)))
    assert errors, f"{label} accepted {hostile!r}"
    path = f"frontends[fe0].rules[0].{where}"
    assert any(e.startswith(path) for e in errors), errors


def test_unknown_pool_userlist_and_error_page_are_named() -> None:
    errors = model_errors(
        _rules(
            {"use_pool": "nope"},
            {"basic_auth": {"userlist": "nobody"}},
            {"respond": {"error_page": "missing"}},
        )
    )
    assert "frontends[fe0].rules[0].use_pool: unknown pool 'nope' (known: 'api', 'app')" in errors
    assert (
        "frontends[fe0].rules[1].basic_auth.userlist: unknown userlist 'nobody' (known: 'ops')"
        in errors
    )
    assert any(
        e.startswith("frontends[fe0].rules[2].respond.error_page: unknown error page")
        for e in errors
    )


def test_duplicate_rule_names_are_refused() -> None:
    errors = model_errors(_rules({"name": "a", "deny": {}}, {"name": "a", "deny": {}}))
    assert "frontends[fe0].rules[1].name: duplicate rule name 'a' (also rules[0])" in errors


def test_a_rule_after_an_unconditional_deciding_rule_is_a_warning() -> None:
    loaded = validate_data(
        _rules(
            {"hsts": {}},
            {"deny": {"status": 403}},
            {"when": {"path": "/x"}, "use_pool": "api"},
            routes=[{"host": "a.example.com", "pool": "api"}],
        )
    )
    warnings = [str(w) for w in loaded.warnings]
    assert any(
        w.startswith("frontends[fe0].rules[2]: rules[1] (deny, no condition)") for w in warnings
    )
    assert any(w.startswith("frontends[fe0].routes: rules[1]") for w in warnings)
    assert not any("rules[1]:" in w.split(" ")[0] for w in warnings)  # hsts does not decide


def test_https_redirect_on_a_plain_frontend_is_fine_but_on_a_tls_one_it_loops() -> None:
    redirect = {"redirect": {"scheme": "https", "code": 301}}
    assert _rule_warnings(_rules(redirect)) == []
    tls = {"certificate": "/etc/haproxy/certs/site.pem"}
    warnings = [str(w) for w in validate_data(_rules(redirect, tls=tls)).warnings]
    assert any(
        w.startswith("frontends[fe0].rules[0].redirect: this frontend serves https")
        for w in warnings
    )
    plain_only = {"when": {"tls": False}, **redirect}
    assert _rule_warnings(_rules(plain_only, tls=tls)) == []


def test_hsts_from_tls_and_from_a_rule_is_a_warning_naming_both_paths() -> None:
    tls = {"certificate": "/etc/haproxy/certs/site.pem", "hsts": {"max_age": 31536000}}
    rule = {"name": "sts", "hsts": {"max_age": 600}}
    assert _rule_warnings(_rules(rule, tls={"certificate": tls["certificate"]})) == []
    assert _rule_warnings(_rules(tls=tls)) == []
    warnings = _rule_warnings(_rules(rule, tls=tls))
    assert len(warnings) == 1
    assert warnings[0].startswith("frontends[fe0].rules[sts].hsts: frontends[fe0].tls.hsts ")
    assert "Strict-Transport-Security" in warnings[0]


def test_tcp_frontends_refuse_http_tests_actions_and_request_limits() -> None:
    data = model_with(
        {
            "mode": "tcp",
            "default_pool": "app",
            "rules": [
                {"when": {"source": ["198.18.0.0/24"], "host": "a.example.com"}, "deny": {}},
                {"request_headers": {"set": {"X-A": "1"}}},
                {"deny": {"status": 403}},
            ],
            "rate_limit": {"requests": 10},
        }
    )
    errors = model_errors(data)
    assert any(
        e.startswith("frontends[fe0].rules[0].when.host: a tcp frontend cannot test host")
        for e in errors
    )
    assert any(
        e.startswith("frontends[fe0].rules[1].request_headers: a tcp frontend has no HTTP")
        for e in errors
    )
    assert any(e.startswith("frontends[fe0].rules[2].deny.status: a tcp frontend") for e in errors)
    assert any(
        e.startswith("frontends[fe0].rate_limit.requests: a tcp frontend has no HTTP")
        for e in errors
    )


def test_tcp_frontends_may_deny_by_source_and_limit_connections() -> None:
    data = model_with(
        {
            "mode": "tcp",
            "default_pool": "app",
            "rules": [{"when": {"source": ["198.18.0.0/24"]}, "deny": {}}],
            "access": {"deny": ["198.18.9.9"]},
            "rate_limit": {"connections": 10},
        }
    )
    assert model_errors(data) == []


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("access", {}, "frontends[fe0].access: give allow, deny or both"),
        (
            "access",
            {"allow": ["10.0.0.0/33"]},
            "frontends[fe0].access.allow[0]: must be an IPv4/IPv6 address",
        ),
        ("rate_limit", {"period": "10s"}, "give requests (per period), connections, or both"),
        ("rate_limit", {"requests": 0}, "frontends[fe0].rate_limit.requests: must be 1-1000000000"),
        ("rate_limit", {"requests": 5, "period": "10 s"}, "frontends[fe0].rate_limit.period"),
    ],
)
def test_access_and_rate_limit_errors_name_the_field(field: str, value: Any, error: str) -> None:
    errors = model_errors(_rules(**{field: value}))
    assert any(error in e for e in errors), errors


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x7F), min_size=1, max_size=40)
)
def test_accepted_text_never_holds_a_quote_or_a_control_character(text: str) -> None:
    errors = model_errors(_rules({"request_headers": {"set": {"X-A": text}}}))
    if not errors:
        assert "'" not in text
        assert all(0x20 <= ord(c) <= 0x7E for c in text)


def test_a_deny_or_auth_rule_after_a_use_pool_rule_is_a_warning() -> None:
    loaded = validate_data(
        _rules(
            {"when": {"path": "/secret"}, "deny": {}},  # above: protects every request
            {"name": "api", "when": {"host": "api.example.com"}, "use_pool": "api"},
            {"when": {"path_prefix": "/admin"}, "basic_auth": {"userlist": "ops"}},
        )
    )
    warnings = [str(w) for w in loaded.warnings if w.path.startswith("frontends")]
    assert warnings == [
        "frontends[fe0].rules[2]: requests rules[api] sends to a pool skip this basic auth "
        "rule (the first deciding rule ends the list); move it above if it must protect them "
        "too"
    ]


def test_the_model_reference_example_validates_without_warnings() -> None:
    text = (ROOT / "docs" / "model.md").read_text()
    section = text[text.index("### Routing rules, access lists and rate limits") :]
    example = yaml.safe_load(section[section.index("```yaml\n") + 8 : section.index("```\n")])
    data = model_with()
    data["frontends"] = example["frontends"]
    canary = {"name": "canary", "servers": [{"name": "c1", "address": "198.18.0.40", "port": 80}]}
    data["pools"].append(canary)
    assert validate_data(data).warnings == []
