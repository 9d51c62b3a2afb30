"""Proxy options: timeouts, server options and check expectations, refused by path."""

from __future__ import annotations

import pytest

from controlplane.model import validate_data
from tests.support import model_errors


def test_every_option_at_once_is_valid(example) -> None:
    example["frontends"][0]["timeouts"] = {"client": "1h", "http_request": "5s"}
    pool = example["pools"][0]
    pool["timeouts"] = {"server": "1h", "tunnel": "2h", "connect": "2s", "server_fin": "1s"}
    pool["default_server"] = {"check_interval": "1s", "slow_start": "30s", "maxconn": 100}
    pool["servers"][0].update(rise=5, fall=2, check_interval="500ms", send_proxy="v2")
    example["health_checks"][0].update(
        expect_string="ok", expect_regex=r"^ok\s*$", agent={"port": 9999, "send": "ping\\n"}
    )
    example["health_checks"][1].update(send="PING\\r\\n", expect_string="+PONG")
    assert model_errors(example) == []


def test_send_belongs_to_tcp_checks(example) -> None:
    example["health_checks"][0]["send"] = "x"
    assert model_errors(example) == [
        "health_checks[http-ok].send: applies to tcp checks; an http check sends method, path, host"
    ]


def test_http_timeouts_on_a_tcp_frontend_are_refused(example) -> None:
    example["frontends"][2]["timeouts"] = {"client": "1h", "http_request": "5s"}
    assert model_errors(example) == [
        "frontends[app-direct].timeouts.http_request: applies to http frontends only"
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expect_string", "ok' log 1.2.3.4:514 local0 '"),
        ("expect_string", "ok\n    bind :1"),
        ("expect_regex", "ok'"),
        ("expect_regex", "(unclosed"),
        ("expect_string", "\u0430"),
    ],
)
def test_check_expectations_that_could_inject_are_refused(example, field, value) -> None:
    example["health_checks"][0][field] = value
    errors = model_errors(example)
    assert len(errors) == 1 and errors[0].startswith(f"health_checks[http-ok].{field}:"), errors


@pytest.mark.parametrize(
    "value", ['PING" \n', "PING\\x41", "PING\\", "${HOME}", "PING\x00", "\u0430"]
)
def test_a_send_text_that_could_inject_is_refused(example, value: str) -> None:
    example["health_checks"][1]["send"] = value
    errors = model_errors(example)
    assert len(errors) == 1 and errors[0].startswith("health_checks[tcp-ok].send:"), errors


@pytest.mark.parametrize(
    ("field", "value"),
    [("slow_start", "30 s"), ("send_proxy", "v3"), ("rise", 0), ("check_interval", "1s\n")],
)
def test_bad_server_options_are_refused_with_their_path(example, field, value) -> None:
    example["pools"][0]["servers"][1][field] = value
    errors = model_errors(example)
    assert errors and errors[0].startswith(f"pools[app].servers[app2].{field}:"), errors


def test_maxrewrite_must_stay_under_half_the_buffer(example) -> None:
    example["settings"]["tune"] = {"bufsize": 16384, "maxrewrite": 8192}
    assert model_errors(example) == [
        "settings.tune.maxrewrite: must be less than half of bufsize (16384), got 8192"
    ]


def test_compression_needs_an_http_frontend(example) -> None:
    example["frontends"][2]["compression"] = {"algorithms": ["gzip"]}
    assert model_errors(example) == [
        "frontends[app-direct].compression: compresses HTTP responses: needs mode http"
    ]


@pytest.mark.parametrize("media", ["text/html x", "text/html\n", "texthtml", "TEXT/HTML", "a/b#"])
def test_a_media_type_that_could_inject_is_refused(example, media: str) -> None:
    example["frontends"][0]["compression"] = {"algorithms": ["gzip"], "types": [media]}
    errors = model_errors(example)
    assert errors and errors[0].startswith("frontends[web].compression.types[0]:"), errors


def test_nbthread_is_bounded_by_haproxys_build(example) -> None:
    example["settings"]["nbthread"] = 65
    errors = model_errors(example)
    assert errors and errors[0].startswith("settings.nbthread:")


def test_send_takes_escaped_line_breaks_and_refuses_real_ones(example) -> None:
    example["health_checks"][1]["send"] = "PING\\r\\n"
    assert model_errors(example) == []
    example["health_checks"][1]["send"] = "PING\r\n"
    (error,) = model_errors(example)
    assert error.startswith("health_checks[tcp-ok].send: must write line breaks as \\r and \\n")


def test_check_options_on_servers_of_an_unchecked_pool_are_a_warning(example) -> None:
    example["pools"][0].pop("health_check")
    example["pools"][0]["servers"][0]["rise"] = 5
    warnings = [str(w) for w in validate_data(example).warnings]
    assert (
        "pools[app].servers[app1].rise: the pool has no health_check, so its servers are not "
        "checked"
    ) in warnings


def test_fewer_headers_than_haproxys_own_error_pages_need_are_refused(example) -> None:
    example["settings"]["tune"] = {"http_maxhdr": 4}
    errors = model_errors(example)
    assert errors and errors[0].startswith("settings.tune.http_maxhdr:")
