"""`lbctl validate` warns for `extra` lines a typed field can write, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from controlplane.model.extra_advice import advice_for, advised_fields, field_exists
from tests.support import valid


def warnings_for(doc: dict[str, Any]) -> list[str]:
    return [str(w) for w in valid(doc).warnings if ".extra[" in w.path]


def test_every_field_the_table_names_exists_in_the_schema() -> None:
    missing = [(s, f) for s, f in sorted(advised_fields()) if not field_exists(s, f)]
    assert missing == []


def test_a_frontend_httplog_line_names_the_logging_field(example: dict) -> None:
    example["frontends"][0]["extra"] = ["option httplog"]
    assert warnings_for(example) == [
        "frontends[web].extra[0]: `option httplog` can be written as "
        "frontends[web].logging.format (http); typed fields are validated and planned, "
        "extra lines are not"
    ]


def test_the_longest_prefix_wins(example: dict) -> None:
    example["frontends"][0]["extra"] = [
        "http-request redirect scheme https code 301 unless { ssl_fc }",
        "http-request redirect location /x",
    ]
    found = warnings_for(example)
    assert "(a rule with redirect: {scheme: https})" in found[0]
    assert "(a rule with redirect)" in found[1]


@pytest.mark.parametrize(
    ("section", "line", "field"),
    [
        ("frontends", "option dontlognull", "logging.log_empty_connections"),
        ("frontends", "stats enable", "/stats_pages"),
        ("frontends", "Stats  URI /haproxy", "/stats_pages"),  # case and spacing do not matter
        ("frontends", "timeout tunnel 1h", "/pools.timeouts.tunnel"),
        ("frontends", "use_backend api if is_api", "rules"),
        ("frontends", "tcp-request connection reject if bad", "access"),
        ("frontends", "http-request track-sc0 src", "rate_limit"),
        ("frontends", "http-after-response set-header X-Frame-Options DENY", "rules"),
        ("pools", "timeout tunnel 1h", "timeouts.tunnel"),
        ("pools", "option httpchk GET /health", "/health_checks"),
        ("pools", "default-server inter 2s", "default_server"),
        ("pools", "server app9 198.18.0.29:8080 check", "servers"),
        ("pools", "option forwardfor", "/frontends.forwarded_for"),
        ("pools", "retries 5", "/settings.retries"),
        ("settings", "nbthread 4", "nbthread"),
        ("settings", "tune.bufsize 32768", "tune.bufsize"),
        ("settings", "ssl-default-bind-ciphers ECDHE", "tls.bind_ciphers"),
    ],
)
def test_common_directives_find_their_field(section: Any, line: str, field: str) -> None:
    advice = advice_for(section, line)
    assert advice is not None and advice.field == field


@pytest.mark.parametrize(
    ("section", "line"),
    [
        ("frontends", "log global"),  # lbctl's defaults log to the global targets already
        ("frontends", "http-request set-var(txn.x) str(1)"),
        ("frontends", "option http-buffer-request"),
        ("pools", "option redispatch"),
        ("settings", "tune.lua.maxmem 64"),
    ],
)
def test_lines_the_model_cannot_say_get_no_advice(section: Any, line: str) -> None:
    advice = advice_for(section, line)
    assert advice is None or advice.silent


def test_each_extra_list_is_advised_with_its_own_path(example: dict) -> None:
    example["settings"]["extra"] = ["nbthread 4"]
    example["pools"][0]["extra"] = ["balance leastconn"]
    example["frontends"][0]["extra"] = ["log global", "maxconn 100"]
    assert [w.split(":")[0] for w in warnings_for(example)] == [
        "settings.extra[0]",
        "pools[app].extra[0]",
        "frontends[web].extra[1]",
    ]


def test_advice_is_a_warning_the_model_still_validates(example: dict) -> None:
    example["frontends"][0]["extra"] = ["option httplog"]
    assert valid(example).model.frontends[0].extra == ["option httplog"]
