"""Routing rules, access lists and rate limits as haproxy.cfg lines, proven by `haproxy -c`."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlplane.check import check_rendered
from controlplane.model import validate_data
from controlplane.model.config_files import FileContents
from controlplane.render import render_model
from tests.rules_models import EVERY_KIND, model_with
from tests.support import needs_binaries


def _frontend_text(data: dict[str, Any], name: str = "fe0") -> str:
    text = render_model(validate_data(data).model).host("lb-a").files["haproxy.cfg"]
    section = text[text.index(f"frontend {name}\n") :]
    return section[: section.index("\n\n")]


def _lines(data: dict[str, Any], name: str = "fe0") -> list[str]:
    return [line.strip() for line in _frontend_text(data, name).splitlines()]


def _assert_haproxy_accepts(data: dict[str, Any]) -> None:
    report = check_rendered(render_model(validate_data(data).model))
    assert report.failures == [], [f.output for f in report.failures]
    assert [w for c in report.checks for w in c.warnings] == []


EVERYTHING = model_with(
    {
        "default_pool": "app",
        "rules": EVERY_KIND,
        "access": {"allow": ["198.18.0.0/15", "2001:db8::/32"], "deny": ["198.18.9.0/24"]},
        "rate_limit": {"requests": 20, "period": "10s", "connections": 5},
        "routes": [{"host": "legacy.example.com", "pool": "app"}],
    },
    {
        "mode": "tcp",
        "default_pool": "tcp",
        "access": {"deny": ["198.18.7.0/24"]},
        "rate_limit": {"connections": 3},
        "rules": [
            {"when": {"dst_port": [81]}, "use_pool": "tcp"},
            {"when": {"source": ["198.18.3.0/24"]}, "deny": {}},
        ],
    },
    pools=[
        {"name": "app", "servers": [{"name": "app1", "address": "198.18.0.20", "port": 8080}]},
        {"name": "api", "servers": [{"name": "api1", "address": "198.18.0.21", "port": 8080}]},
        {"name": "tcp", "servers": [{"name": "t1", "address": "198.18.0.30", "port": 22}]},
    ],
)


@needs_binaries
def test_every_rule_kind_access_and_rate_limits_pass_haproxy_without_warnings() -> None:
    _assert_haproxy_accepts(EVERYTHING)


def test_rules_come_before_routes_and_routes_before_the_default_pool() -> None:
    lines = _lines(EVERYTHING)
    switching = [line for line in lines if line.startswith(("use_backend", "default_backend"))]
    assert switching == [
        "use_backend api if rule_api_any0_host || rule_api_any1_host rule_api_any1_path_prefix",
        "use_backend app if rule10_when_host_regex rule10_when_path_regex",
        "use_backend api if rule13_when_sni",
        "use_backend app if route0_host",
        "default_backend app",
    ]


def test_access_then_rate_limit_then_rules_in_model_order() -> None:
    lines = [line for line in _lines(EVERYTHING) if line.startswith("http-request")]
    assert lines[:4] == [
        "http-request deny deny_status 403 if lbctl_access_deny",
        "http-request deny deny_status 403 unless lbctl_access_allow",
        "http-request deny deny_status 429 if lbctl_rate_connections",
        "http-request deny deny_status 429 if lbctl_rate_requests",
    ]
    assert lines[4].startswith("http-request redirect scheme https code 301 if rule_to-https")


def test_the_rate_limit_table_is_replicated_to_the_pair_through_peers() -> None:
    text = render_model(validate_data(EVERYTHING).model).host("lb-b").files["haproxy.cfg"]
    assert "    localpeer lb-b\n" in text
    assert (
        "peers lbctl:edge\n    peer lb-a 198.18.0.10:10000\n    peer lb-b 198.18.0.11:10000" in text
    )
    lines = _lines(EVERYTHING)
    assert (
        "stick-table type ipv6 size 1000000 expire 10m store http_req_rate(10s),conn_cur "
        "peers lbctl:edge"
    ) in lines
    # tcp-request lines first: HAProxy runs them before http-request lines anyway.
    assert lines.index("tcp-request connection track-sc0 src") < lines.index("option httplog")


def test_a_tcp_frontend_rejects_connections_and_counts_after_its_access_list() -> None:
    lines = [line for line in _lines(EVERYTHING, "fe1") if line.startswith("tcp-request")]
    assert lines == [
        "tcp-request connection reject if lbctl_access_deny",
        "tcp-request connection track-sc0 src",
        "tcp-request connection reject if lbctl_rate_connections",
        "tcp-request connection set-var(sess.lbctl_routed) bool(true) if rule0_when_dst_port",
        "tcp-request connection reject if rule1_when_source !lbctl_routed",
    ]


def test_a_use_pool_rule_ends_the_list_for_the_rules_after_it() -> None:
    data = model_with(
        {
            "default_pool": "app",
            "rules": [
                {"when": {"host": "api.example.com"}, "use_pool": "api"},
                {"when": {"path_prefix": "/admin"}, "deny": {}},
            ],
        }
    )
    lines = _lines(data)
    assert "acl lbctl_routed var(txn.lbctl_routed) -m bool" in lines
    assert "http-request set-var(txn.lbctl_routed) bool(true) if rule0_when_host" in lines
    assert "http-request deny deny_status 403 if rule1_when_path_prefix !lbctl_routed" in lines
    assert "use_backend api if rule0_when_host" in lines


def test_response_rules_record_their_request_match_in_a_variable() -> None:
    lines = _lines(EVERYTHING)
    assert "http-request set-var(txn.lbctl_rule8) bool(true) if rule8_when_header" in lines
    assert "http-after-response add-header X-Traced 'by lbctl' if rule8_matched" in lines
    hsts = (
        "http-after-response set-header Strict-Transport-Security 'max-age=600; includeSubDomains'"
    )
    assert hsts in lines  # unconditional: no variable needed


def test_free_text_is_single_quoted_and_log_format_percent_is_doubled() -> None:
    text = _frontend_text(EVERYTHING)
    assert (
        "string '<h1>Back soon # \"really\" \\o/ $HOME 100%</h1>' if rule5_when_path" in text
    )  # `string` is literal: no log-format, no doubling
    assert "set-header X-Debug-Seen 'yes 100%%' if" in text
    assert "redirect location 'https://example.com/new%%20place?x=1' code 302" in text
    assert "path_reg -- '^/a b#c?$'" in text


def test_unconditional_use_pool_has_no_condition() -> None:
    data = model_with({"rules": [{"use_pool": "api"}]})
    assert "use_backend api" in _lines(data)


def test_models_without_rules_render_no_rule_lines() -> None:
    data = model_with({"default_pool": "app", "routes": [{"host": "a.example.com", "pool": "api"}]})
    assert _lines(data) == [
        "frontend fe0",
        "bind 198.18.0.100:80",
        "mode http",
        "option httplog",
        "option forwardfor",
        "option idle-close-on-response",
        "acl route0_host req.hdr(host),field(1,:),lower -m str a.example.com",
        "use_backend api if route0_host",
        "default_backend app",
    ]


# Printable ASCII without the single quote: what a Text field accepts.
_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="'"),
    min_size=1,
    max_size=30,
)


@needs_binaries
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_TEXT, min_size=6, max_size=6))
def test_any_accepted_text_renders_a_config_haproxy_accepts(values: list[str]) -> None:
    """Spaces, '#', '"', '$', '\\' and '%' in every free-text field: still one valid line."""
    header, body, equals, realm, cookie, added = values
    rules = [
        {
            "when": {"header": {"name": "X-A", "equals": equals}},
            "request_headers": {"set": {"X-B": header}},
        },
        {
            "when": {"cookie": {"name": "c", "equals": cookie}},
            "respond": {"status": 200, "body": body},
        },
        {"when": {"path": "/auth"}, "basic_auth": {"userlist": "ops", "realm": realm}},
        {"response_headers": {"add": {"X-C": added}}},
    ]
    _assert_haproxy_accepts(model_with({"default_pool": "app", "rules": rules}))


MAINTENANCE_PAGE = (
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 13\r\n"
    "Cache-Control: no-store\r\n\r\n<h1>Soon</h1>"
)


@needs_binaries
def test_respond_with_an_error_page_ships_it_and_answers_with_the_file() -> None:
    data = model_with(
        {
            "default_pool": "app",
            "rules": [{"when": {"path": "/"}, "respond": {"error_page": "down"}}],
        },
        error_pages=[{"name": "down", "status": 503}],
    )
    model = validate_data(data).model
    rendered = render_model(model, FileContents({("error_page", "down"): MAINTENANCE_PAGE}))
    host = rendered.host("lb-a")
    assert (
        "http-request return errorfile /etc/haproxy/lbctl/errors/down.http if rule0_when_path"
        in (host.files["haproxy.cfg"])
    )
    assert host.attached["errors/down.http"].text == MAINTENANCE_PAGE
    report = check_rendered(rendered)
    assert report.failures == []


@needs_binaries
def test_a_pattern_starting_with_a_dash_is_not_read_as_an_acl_flag() -> None:
    """Found by hypothesis: `-m str '-x'` failed haproxy -c; patterns now follow `--`."""
    rules = [
        {"when": {"header": {"name": "X-A", "equals": "-i"}}, "deny": {}},
        {"when": {"cookie": {"name": "c", "equals": "-m"}}, "deny": {}},
        {"when": {"path_regex": "-f"}, "deny": {}},
    ]
    data = model_with({"default_pool": "app", "rules": rules})
    assert "acl rule0_when_header req.fhdr(X-A) -m str -- '-i'" in _lines(data)
    _assert_haproxy_accepts(data)


def test_access_lists_are_shipped_as_map_files_the_acls_load() -> None:
    host = render_model(validate_data(EVERYTHING).model).host("lb-a")
    assert (
        "acl lbctl_access_deny src -M -f /etc/haproxy/lbctl/maps/access/fe0.deny.map"
        in (host.files["haproxy.cfg"])
    )
    assert host.attached["maps/access/fe0.allow.map"].text == "198.18.0.0/15 1\n2001:db8::/32 1\n"
    assert host.attached["maps/access/fe1.deny.map"].text == "198.18.7.0/24 1\n"


@needs_binaries
def test_every_character_a_path_or_url_may_hold_passes_haproxy() -> None:
    """Paths and redirect targets are printed bare or quoted: none of their characters is
    syntax for HAProxy (`&()*+,;=:@%?` included)."""
    weird = "/a._~!&()*+,;=:@%/?-b"
    rules = [
        {"when": {"path": weird}, "deny": {}},
        {"when": {"path_begins": weird}, "deny": {}},
        {"when": {"path_prefix": weird}, "deny": {}},
        {"when": {"path_ends": weird[1:]}, "deny": {}},
        {"when": {"path": "/r"}, "redirect": {"location": f"https://a-b.example.com:8443{weird}"}},
        {"when": {"path": "/q"}, "redirect": {"prefix": "https://a.example.com/p%20q"}},
    ]
    _assert_haproxy_accepts(model_with({"default_pool": "app", "rules": rules}))
