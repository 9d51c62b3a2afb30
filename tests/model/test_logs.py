"""Logging fields: targets, formats and the request id, refused by path when wrong."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import model_errors


def with_logging(example: dict[str, Any], **fields: Any) -> dict[str, Any]:
    example["frontends"][0]["logging"] = fields
    return example


@pytest.mark.parametrize(
    "address",
    [
        "stdout",
        "stderr",
        "/dev/log",
        "198.18.0.5:514",
        "logs.example.com:5140",
        "[2001:db8::5]:514",
    ],
)
def test_log_targets_take_streams_sockets_and_syslog_servers(example, address: str) -> None:
    example["settings"]["log_targets"] = [{"address": address, "facility": "local1"}]
    assert model_errors(example) == []


@pytest.mark.parametrize(
    "address",
    [
        "198.18.0.5",
        "198.18.0.5:99999",
        "/dev/../etc/x",
        "stdout x",
        "udp@198.18.0.5:514",
        "[::zz]:514",
    ],
)
def test_a_bad_log_address_is_refused_with_its_path(example, address: str) -> None:
    example["settings"]["log_targets"] = [{"address": address}]
    errors = model_errors(example)
    assert errors and errors[0].startswith("settings.log_targets[0].address:"), errors


def test_log_target_and_log_targets_together_are_refused(example) -> None:
    example["settings"]["log_target"] = "/dev/log"
    example["settings"]["log_targets"] = [{"address": "stdout", "format": "raw"}]
    assert model_errors(example) == [
        "settings.log_targets: set log_target or log_targets, not both "
        "(log_targets replaces log_target)"
    ]


def test_http_log_formats_and_request_ids_need_an_http_frontend(example) -> None:
    tcp = example["frontends"][2]
    tcp["logging"] = {"format": "http", "request_id": {"header": "X-Request-ID"}}
    assert model_errors(example) == [
        "frontends[app-direct].logging.format: a tcp frontend cannot log in http format; use tcp",
        "frontends[app-direct].logging.request_id: a request id travels in an HTTP header: "
        "needs mode http",
    ]


def test_format_and_custom_format_together_are_refused(example) -> None:
    errors = model_errors(with_logging(example, format="http", custom_format="%ci %ST"))
    assert errors == ["frontends[web].logging.custom_format: set format or custom_format, not both"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("%ci ' log 1.2.3.4:514 local0", "no single quote"),
        ("%ci\n    log 1.2.3.4:514 local0", "printable ASCII"),
        ("%[env(LBCTL_SECRET)]", "reads env(...)"),
        ("%[str(x),map(/etc/passwd)]", "reads map(...)"),
        ("%ci ${HOME}", "must not expand environment variables"),
    ],
)
def test_a_format_that_would_inject_or_read_the_host_is_refused(example, text, reason) -> None:
    errors = model_errors(with_logging(example, custom_format=text))
    assert len(errors) == 1 and errors[0].startswith("frontends[web].logging.custom_format:")
    assert reason in errors[0]
    errors = model_errors(
        with_logging(example, request_id={"header": "X-Request-ID", "format": text})
    )
    assert errors and errors[0].startswith("frontends[web].logging.request_id.format:")


@pytest.mark.parametrize("header", ["X Request", "X-Req\n", "X:Req", "-X", "X#"])
def test_a_request_id_header_that_could_inject_is_refused(example, header: str) -> None:
    errors = model_errors(with_logging(example, request_id={"header": header}))
    assert errors and errors[0].startswith("frontends[web].logging.request_id.header:")


def test_targets_of_a_frontend_that_logs_nothing_are_refused(example) -> None:
    errors = model_errors(with_logging(example, enabled=False, targets=[{"address": "stdout"}]))
    assert errors == ["frontends[web].logging.targets: this frontend logs nothing (enabled: false)"]


def test_a_tcp_frontend_cannot_log_http_only_variables(example) -> None:
    tcp = example["frontends"][2]
    tcp["logging"] = {"custom_format": "%ci [%tr] %HM %{+Q}HU %[src] 100%% %ST"}
    assert model_errors(example) == [
        "frontends[app-direct].logging.custom_format: %HM, %HU, %tr exist only in http "
        "mode; a tcp frontend cannot log them"
    ]
    tcp["logging"] = {"custom_format": "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ST"}
    assert model_errors(example) == []
