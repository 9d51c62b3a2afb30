"""User lists, stats page, logging and proxy options rendered and proven by haproxy -c."""

from __future__ import annotations

from typing import Any

from controlplane.check import check_rendered
from controlplane.model import validate_data
from controlplane.render import Rendered, render_model
from tests.model.test_stats_pages import with_stats
from tests.model.test_userlists import BCRYPT, SHA512, with_userlist
from tests.support import needs_binaries


def rendered(document: dict[str, Any]) -> Rendered:
    return render_model(validate_data(document).model)


def assert_haproxy_accepts(result: Rendered) -> None:
    report = check_rendered(result)
    assert report.failures == []
    assert [w for c in report.checks for w in c.warnings] == []


@needs_binaries
def test_user_lists_pass_haproxy_c(example) -> None:
    with_userlist(example)
    example["userlists"][0]["users"].append({"name": "bob@example.com", "password": BCRYPT})
    result = rendered(example)
    assert f"    user alice password {SHA512}\n" in result.hosts[0].files["haproxy.cfg"]
    assert_haproxy_accepts(result)


@needs_binaries
def test_a_stats_page_is_its_own_listen_section_behind_its_userlist(example) -> None:
    result = rendered(with_stats(example, refresh="5s", admin=True))
    assert (
        "listen stats:ops\n"
        "    bind 198.18.0.100:8404\n"
        "    mode http\n"
        "    stats enable\n"
        "    stats uri /stats\n"
        "    stats hide-version\n"
        "    stats refresh 5s\n"
        "    http-request auth unless { http_auth(admins) }\n"
        "    stats admin if TRUE\n"
    ) in result.hosts[0].files["haproxy.cfg"]
    assert "frontend lbctl:metrics" in result.hosts[0].files["haproxy.cfg"]
    assert_haproxy_accepts(result)


@needs_binaries
def test_log_targets_formats_and_request_ids_render_and_pass_haproxy_c(example) -> None:
    example["settings"]["log_targets"] = [
        {"address": "stdout", "format": "raw", "facility": "local0"},
        {"address": "198.18.0.5:514", "facility": "local2", "level": "notice"},
    ]
    example["frontends"][0]["logging"] = {
        "custom_format": "%ci:%cp [%tr] %ft %b/%s %ST %B %ID {%[capture.req.hdr(0)]} # x",
        "log_empty_connections": True,
        "targets": [{"address": "/dev/log", "facility": "local3"}],
        "request_id": {},
    }
    example["frontends"][1]["logging"] = {"format": "https"}
    example["frontends"][2]["logging"] = {"format": "tcp", "enabled": False}
    result = rendered(example)
    cfg = result.hosts[0].files["haproxy.cfg"]
    assert "global\n    log stdout format raw local0\n    log 198.18.0.5:514 local2 notice\n" in cfg
    assert (
        "    log-format '%ci:%cp [%tr] %ft %b/%s %ST %B %ID {%[capture.req.hdr(0)]} # x'\n"
    ) in cfg
    assert (
        "    no log\n    log /dev/log local3\n    no option dontlognull\n"
        "    unique-id-format '%{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid'\n"
        "    unique-id-header X-Request-ID\n"
    ) in cfg
    assert "    option httpslog\n" in cfg
    assert "frontend app-direct\n    bind 198.18.0.100:8080\n    mode tcp\n    no log\n" in cfg
    assert_haproxy_accepts(result)


def test_without_logging_fields_the_v1_lines_stay(example) -> None:
    cfg = rendered(example).hosts[0].files["haproxy.cfg"]
    assert "global\n    log /dev/log local0\n" in cfg
    assert cfg.count("option httplog") == 2 and cfg.count("option tcplog") == 1
