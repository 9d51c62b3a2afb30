"""User lists, stats page, logging and proxy options rendered and proven by haproxy -c."""

from __future__ import annotations

import copy
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
        "request_id": {"header": "X-Request-ID"},
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


@needs_binaries
def test_timeouts_server_options_and_checks_render_and_pass_haproxy_c(example) -> None:
    example["frontends"][0]["timeouts"] = {"client": "1h", "http_request": "5s"}
    pool = example["pools"][0]
    pool["timeouts"] = {"server": "1h", "tunnel": "2h"}
    pool["default_server"] = {"check_interval": "1s", "slow_start": "30s", "maxconn": 100}
    pool["servers"][0].update(rise=5, send_proxy="v1")
    example["health_checks"][0].update(
        expect_string="ok go", expect_regex=r"^ok\s", agent={"port": 9999, "send": "hi\\n"}
    )
    example["health_checks"][1].update(send="PING\\r\\n", expect_string="+PONG")
    result = rendered(example)
    cfg = result.hosts[0].files["haproxy.cfg"]
    assert "    maxconn" not in cfg.split("frontend web\n")[1].split("\n\n")[0]
    assert "    timeout client 1h\n    timeout http-request 5s\n" in cfg
    assert (
        "    http-check expect status 200\n"
        "    http-check expect string 'ok go'\n"
        "    http-check expect rstring '^ok\\s'\n"
        "    timeout server 1h\n"
        "    timeout tunnel 2h\n"
    ) in cfg
    assert (
        "    default-server inter 1s rise 2 fall 3 agent-check agent-port 9999 agent-inter 2s "
        'agent-send "hi\\n" slowstart 30s maxconn 100\n'
    ) in cfg
    assert "server app1 198.18.0.20:8080 check weight 100 rise 5 send-proxy\n" in cfg
    assert (
        '    option tcp-check\n    tcp-check send "PING\\r\\n"\n    tcp-check expect string '
        "'+PONG'\n"
    ) in cfg
    assert_haproxy_accepts(result)


@needs_binaries
def test_threads_tune_items_and_compression_render_and_pass_haproxy_c(example) -> None:
    example["settings"]["nbthread"] = 2
    example["settings"]["tune"] = {
        "bufsize": 32768,
        "maxrewrite": 1024,
        "http_maxhdr": 200,
        "ssl_default_dh_param": 2048,
        "ssl_cachesize": 50000,
        "ssl_lifetime": "10m",
        "h2_max_concurrent_streams": 50,
        "maxaccept": 64,
    }
    example["frontends"][0]["compression"] = {
        "algorithms": ["gzip", "deflate"],
        "types": ["text/html", "application/json"],
    }
    result = rendered(example)
    cfg = result.hosts[0].files["haproxy.cfg"]
    assert (
        "    nbthread 2\n    tune.bufsize 32768\n    tune.maxrewrite 1024\n"
        "    tune.http.maxhdr 200\n    tune.ssl.default-dh-param 2048\n"
        "    tune.ssl.cachesize 50000\n    tune.ssl.lifetime 10m\n"
        "    tune.h2.max-concurrent-streams 50\n    tune.maxaccept 64\n"
    ) in cfg
    assert (
        "    compression algo gzip deflate\n    compression type text/html application/json\n"
    ) in cfg
    assert_haproxy_accepts(result)


# Accepted free text that looks like syntax: quotes, comments, conditions, braces.
TRICKY = 'a "b" # c if TRUE } { d'


@needs_binaries
def test_free_text_that_looks_like_syntax_stays_one_quoted_argument(example) -> None:
    example["frontends"][0]["logging"] = {
        "custom_format": f"%ci {TRICKY}",
        "request_id": {"header": "X-Request-ID", "format": f"%rt {TRICKY}"},
    }
    example["health_checks"][0].update(expect_string=TRICKY, expect_regex=f"^{TRICKY}\\s$")
    example["health_checks"][1].update(send="a # b if TRUE\\r\\n", expect_string=TRICKY)
    example["health_checks"][0]["agent"] = {"port": 9999, "send": "a # b\\n"}
    result = rendered(example)
    cfg = result.hosts[0].files["haproxy.cfg"]
    for line in (
        f"    log-format '%ci {TRICKY}'\n",
        f"    unique-id-format '%rt {TRICKY}'\n",
        f"    http-check expect string '{TRICKY}'\n",
        f"    http-check expect rstring '^{TRICKY}\\s$'\n",
        '    tcp-check send "a # b if TRUE\\r\\n"\n',
        f"    tcp-check expect string '{TRICKY}'\n",
    ):
        assert cfg.count(line) == 1, line
    assert 'agent-send "a # b\\n"' in cfg
    assert_haproxy_accepts(result)


@needs_binaries
def test_a_stats_page_on_an_ipv6_vip_binds_it_in_brackets(example) -> None:
    example["vip_pairs"][0]["vips"] = ["2001:2::100/64", "198.18.0.100/24"]
    result = rendered(with_stats(example))
    assert "listen stats:ops\n    bind [2001:2::100]:8404\n" in result.hosts[0].files["haproxy.cfg"]
    assert_haproxy_accepts(result)


def test_a_stats_page_may_name_an_ipv6_vip_of_its_pair(example) -> None:
    example["vip_pairs"][0]["vips"] = ["198.18.0.100/24", "2001:2::100/64"]
    result = rendered(with_stats(example, vip="2001:2::100"))
    assert "    bind [2001:2::100]:8404\n" in result.hosts[0].files["haproxy.cfg"]


def test_each_server_option_alone_prints_its_words(example) -> None:
    # server_option_words skips servers with none of these set: each one alone must print.
    expected = {
        "check_interval": ("3s", " inter 3s"),
        "rise": (4, " rise 4"),
        "fall": (5, " fall 5"),
        "slow_start": ("30s", " slowstart 30s"),
        "send_proxy": ("v2", " send-proxy-v2"),
    }
    for field, (value, words) in expected.items():
        document = copy.deepcopy(example)
        server = document["pools"][0]["servers"][0]
        server[field] = value
        config = rendered(document).hosts[0].files["haproxy.cfg"]
        head = f"    server {server['name']} "
        line = next(ln for ln in config.splitlines() if ln.startswith(head))
        assert line.endswith(words), (field, line)
