"""Shapes of configs found in public repositories that the importer once refused or broke.

Each config below condenses what real haproxy.cfg files do (HAProxy's own examples,
container setups, years-old production files): the import must prove the original, say
what it could not carry over, and give a model that renders and passes haproxy -c.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from controlplane.check import check_rendered
from controlplane.config_import.haproxy_reader import kept_text
from controlplane.config_import.proof_certificates import absolute_certificates_for_proof
from controlplane.config_import.report import ImportRefused
from controlplane.model.loader import validate_data
from controlplane.render import render_model
from controlplane.usecases.config_import import ImportResult, import_dir
from controlplane.usecases.files import render_file
from tests.config_import.handwritten_pair import needs_tools, write_pair

# Tab-aligned, `quiet`, an account this machine lacks, log targets and servers by host name
# (one with a comment after it, one without a port), legacy lines, a serverless stick-table
# backend, a stats frontend with `stats uri` only, a cache, `zero-warning`, a relative
# certificate path, an all-backup pool.
SEASONED = """global
\tlog\t   loghost   local0
\tlog\t   syslog.example.com:514 local1 notice
\tuser\t   _haproxy_on_openbsd
\tmaxconn\t   4096
\ttune.chksize 16384
\tquiet
\tzero-warning

defaults
\tmode\thttp
\tcontimeout\t5000
\tclitimeout\t50000
\tsrvtimeout\t50000
\tredispatch

cache small
\ttotal-max-size 4
\tmax-age 60

frontend stats
\tbind\t:8404
\tstats uri /
\tstats show-modules
\thttp-request use-service prometheus-exporter if { path /metrics }

frontend www 198.18.0.100:80
\thttp-request track-sc0 src table per_ip_rates
\thttp-request cache-use small
\thttp-response cache-store small
\tacl\tis_static\tpath_beg /static   # served by the media servers
\tuse_backend\tmedia\tif is_static
\tdefault_backend\tapp

frontend tls
\tbind 198.18.0.100:443 ssl crt site.pem
\tdefault_backend app

backend per_ip_rates
\tstick-table type ip size 1m expire 10m store http_req_rate(10s)

backend app
\toption httpchk OPTIONS * HTTP/1.0
\tserver\tapp1\tapp_one:8080\tcheck   # check init-addr last,libc,none
\tserver\tapp2\t198.18.0.21:8080 check

backend media
\tserver media1 media1:80 check backup
\tserver media2 198.18.0.23:80 check backup
"""


@pytest.fixture(scope="module")
def seasoned(tmp_path_factory: pytest.TempPathFactory) -> ImportResult:
    if not (shutil.which("haproxy") and shutil.which("bwrap")):
        pytest.skip("needs haproxy and bwrap")
    return import_dir(write_pair(tmp_path_factory.mktemp("seasoned"), SEASONED), prove=True)


def _report(result: ImportResult) -> list[str]:
    return [str(item) for item in result.report.items]


def test_a_kept_line_has_single_spaces_and_no_comment() -> None:
    assert kept_text("acl\tx   path_beg /a  # note") == "acl x path_beg /a"
    assert kept_text("ssl-server-verify   required # else 'none'") == "ssl-server-verify required"
    # Inside double quotes a tab becomes the escape HAProxy reads back as one.
    assert (
        kept_text('http-request set-header X "a\tb"\tif x')
        == 'http-request set-header X "a\\tb" if x'
    )


@needs_tools
def test_a_seasoned_config_imports_and_its_model_passes_haproxy(seasoned: ImportResult) -> None:
    assert seasoned.report.exit_status == 1  # the report lists what changed, below
    rendered = render_model(validate_data(yaml.safe_load(seasoned.yaml_text)).model)
    check_rendered(rendered).raise_for_failures()


@needs_tools
def test_legacy_lines_are_translated(seasoned: ImportResult) -> None:
    report = "\n".join(_report(seasoned))
    assert "redispatch -- became `option redispatch`" in report
    assert "tune.chksize 16384 -- HAProxy 2.6 checks with tune.bufsize" in report
    assert "clitimeout 50000 -- became `timeout client 50000`" in report
    assert "differs: lb1/haproxy.cfg:4: user _haproxy_on_openbsd" in report


@needs_tools
def test_what_cannot_be_carried_over_is_dropped_with_its_line(seasoned: ImportResult) -> None:
    dropped = [line for line in _report(seasoned) if line.startswith("dropped:")]
    for text in (
        "zero-warning",
        "cache small",
        "http-request cache-use small",
        "http-response cache-store small",
        "stats show-modules",
        "http-request use-service prometheus-exporter",
    ):
        assert any(f": {text}" in line for line in dropped), (text, dropped)


@needs_tools
def test_kept_lines_are_single_spaced_without_comments(seasoned: ImportResult) -> None:
    (www,) = [fe for fe in seasoned.model["frontends"] if fe["name"] == "www"]
    assert "acl is_static path_beg /static" in www["extra"]
    assert "use_backend media if is_static" in www["extra"]
    assert all("\t" not in line and "#" not in line for line in www["extra"])


@needs_tools
def test_a_stats_frontend_with_only_stats_uri_is_a_stats_page(seasoned: ImportResult) -> None:
    (page,) = seasoned.model["stats_pages"]
    assert (page["port"], page["uri"]) == (8404, "/")


@needs_tools
def test_a_stick_table_backend_is_a_pool_without_servers(seasoned: ImportResult) -> None:
    (table,) = [p for p in seasoned.model["pools"] if p["name"] == "per_ip_rates"]
    assert table["servers"] == []
    assert table["extra"][0].startswith("stick-table type ip size 1m")


@needs_tools
def test_servers_by_container_name_keep_their_names(seasoned: ImportResult) -> None:
    (app,) = [p for p in seasoned.model["pools"] if p["name"] == "app"]
    assert app["servers"][0]["address"] == "app_one"
    # `OPTIONS *` is no path the model's check asks: the line stays as written.
    assert any(line.startswith("option httpchk OPTIONS * HTTP/1.0") for line in app["extra"])


@needs_tools
def test_an_all_backup_pool_serves_from_its_first_server(seasoned: ImportResult) -> None:
    (media,) = [p for p in seasoned.model["pools"] if p["name"] == "media"]
    assert [s.get("backup", False) for s in media["servers"]] == [False, True]
    assert any(
        "every server is a backup, so the first serves" in line for line in _report(seasoned)
    )


@needs_tools
def test_a_relative_certificate_is_read_from_the_root(seasoned: ImportResult) -> None:
    (tls,) = [fe for fe in seasoned.model["frontends"] if fe["name"] == "tls"]
    assert tls["tls"]["certificate"] == "/site.pem"
    assert any("missing: lb1/haproxy.cfg:36: /site.pem" in line for line in _report(seasoned))


SNI_ONLY = """global
    log /dev/log local0

defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend https-in
    bind 198.18.0.100:443
    tcp-request inspect-delay 5s
    tcp-request content accept if { req_ssl_hello_type 1 }
    use_backend api if { req.ssl_sni -i api.example.com }

backend api
    server api1 198.18.0.20:6443 check
    server api2 198.18.0.21
"""


@needs_tools
def test_a_frontend_routed_only_by_kept_rules_imports(tmp_path: Path) -> None:
    result = import_dir(write_pair(tmp_path, SNI_ONLY), prove=True)
    (fe,) = result.model["frontends"]
    assert "default_pool" not in fe
    assert "use_backend api if { req.ssl_sni -i api.example.com }" in fe["extra"]
    (api,) = result.model["pools"]
    # HAProxy connects a server without a port to the port the client connected to.
    assert api["extra"] == ["server api2 198.18.0.21"]
    rendered = render_model(validate_data(yaml.safe_load(result.yaml_text)).model)
    check_rendered(rendered).raise_for_failures()


RETURNS_FILES = """global
    log /dev/log local0

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 198.18.0.100:80
    http-response return status 404 errorfile /etc/haproxy/404.http if { status 404 }
    http-request return status 200 file /etc/haproxy/robots.txt if { path /robots.txt }
    default_backend app

backend app
    server app1 198.18.0.20:8080
"""


@needs_tools
def test_an_original_answering_from_files_is_proven(tmp_path: Path) -> None:
    result = import_dir(write_pair(tmp_path, RETURNS_FILES), prove=True)
    assert result.report.exit_status in (0, 1)


ANSWERS_WITHOUT_SERVERS = """global
    log /dev/log local0

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 198.18.0.100:80
    use_backend debug if { path /debug }
    use_backend not_found if { path_beg /old }
    default_backend app

backend app
    server app1 198.18.0.20:8080

# Answers from a file the model cannot ship in extra: the line is dropped.
backend debug
    http-request return status 200 content-type text/html lf-file /etc/haproxy/debug.html

# A maintenance page and no servers: the page answers.
backend not_found
    errorfile 503 /etc/haproxy/errors/404.http
"""


@needs_tools
def test_a_pool_without_servers_answers_as_haproxy_did(tmp_path: Path) -> None:
    page = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\ngone\n"
    files = {"etc/haproxy/errors/404.http": page, "etc/haproxy/debug.html": "<p>debug</p>"}
    result = import_dir(write_pair(tmp_path, ANSWERS_WITHOUT_SERVERS, files), prove=True)
    pools = {p["name"]: p for p in result.model["pools"]}
    assert pools["not_found"]["servers"] == [] and pools["not_found"]["error_pages"]
    # Its one line dropped, `debug` answers 503 as a backend without servers does.
    assert pools["debug"]["extra"] == ["http-request deny deny_status 503"]
    report = "\n".join(str(item) for item in result.report.items)
    assert "dropped: lb1/haproxy.cfg:21: http-request return" in report
    assert "translated: backend debug -- nothing but servers could be kept" in report
    result.write(tmp_path / "model" / "lb.yaml")
    assert not render_file(tmp_path / "model" / "lb.yaml").report.failures


@needs_tools
def test_http_tests_in_a_tcp_frontend_stay_as_written(tmp_path: Path) -> None:
    # HAProxy loads a path test in a tcp frontend and never matches it; the model refuses
    # one, so the rule stays verbatim rather than failing the import.
    config = SNI_ONLY.replace(
        "    use_backend api if { req.ssl_sni -i api.example.com }\n",
        "    acl is_api path_beg /api\n    use_backend api if is_api\n    default_backend api\n",
    )
    result = import_dir(write_pair(tmp_path, config), prove=True)
    (fe,) = result.model["frontends"]
    assert "rules" not in fe
    assert {"acl is_api path_beg /api", "use_backend api if is_api"} <= set(fe["extra"])
    validate_data(result.model)


@pytest.mark.parametrize(
    ("stored", "why"),
    [
        ("$1$Yq3Lk2.0$0a1b2c3d4e5f6g7h8i9j0.", "MD5 hashes are too weak"),
        ("$5$3VeorK1XxvgRseQ$VBkOPCY2enWZsas.XXXXXXXXX", "must be a crypt(3) password hash"),
    ],
)
def test_a_user_whose_hash_the_model_refuses_names_its_line(
    tmp_path: Path, stored: str, why: str
) -> None:
    # HAProxy takes any string crypt() reads: an old MD5 hash, one a repository masked. Only
    # the operator can make a strong one, so the import says where, never "please report it".
    config = SNI_ONLY.replace(
        "global\n", f"userlist ops\n    user alice password {stored}\n\nglobal\n"
    )
    with pytest.raises(ImportRefused) as refused:
        import_dir(write_pair(tmp_path, config))
    message = str(refused.value)
    assert message.startswith("lb1/haproxy.cfg:2: user alice in userlist ops: the password")
    assert why in message and "mkpasswd" in message
    assert stored not in message and "please report" not in message


# Container setups: the DNS servers come from /etc/resolv.conf, servers by service name.
CONTAINER_DNS = """global
    log stdout format raw local0

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

resolvers docker
    parse-resolv-conf
    hold valid 10s

frontend web
    bind 198.18.0.100:80
    default_backend app

backend app
    server app1 app:8080 check resolvers docker init-addr libc,none
"""


@needs_tools
def test_parse_resolv_conf_imports_natively(tmp_path: Path) -> None:
    result = import_dir(write_pair(tmp_path, CONTAINER_DNS), prove=True)
    (resolver,) = result.model["resolvers"]
    assert resolver["parse_resolv_conf"] is True and resolver["nameservers"] == []
    assert "parse-resolv-conf" not in "\n".join(str(i) for i in result.report.items)
    result.write(tmp_path / "model" / "lb.yaml")
    rendered = render_file(tmp_path / "model" / "lb.yaml")
    assert not rendered.report.failures
    assert "    parse-resolv-conf\n" in rendered.rendered.hosts[0].files["haproxy.cfg"]


# A Kubernetes API pair of years ago: a `mode health` listener for an outer load balancer,
# servers with `fastinter`.
HEALTH_LISTENER = """global
    log /dev/log local0

defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

listen http_health_check
    bind *:60001
    mode health
    {httpchk}

frontend api
    bind 198.18.0.100:6443
    default_backend api

backend api
    server api01 198.18.0.20:6443 inter 1s fastinter 1s check maxconn 10000
"""


@needs_tools
@pytest.mark.parametrize(
    ("httpchk", "outcome", "became"),
    [
        ("option httpchk", "translated", "`mode http` + `http-request return status 200`"),
        ("", "differs", "`mode tcp` + `tcp-request connection reject`"),
    ],
)
def test_mode_health_is_said_as_haproxy_2_6_can(
    tmp_path: Path, httpchk: str, outcome: str, became: str
) -> None:
    # HAProxy 2.6 refuses `mode health`; it answered every connection itself.
    result = import_dir(write_pair(tmp_path, HEALTH_LISTENER.format(httpchk=httpchk)), prove=True)
    report = "\n".join(str(item) for item in result.report.items)
    assert f"{outcome}: lb1/haproxy.cfg:12: mode health -- became {became}" in report
    # A valued server option is one dropped option, not two.
    assert "server option 'fastinter 1s'" in report and "server option '1s'" not in report
    result.write(tmp_path / "model" / "lb.yaml")
    assert not render_file(tmp_path / "model" / "lb.yaml").report.failures


# What HAProxy's Data Plane API writes: named defaults that each proxy names with `from`,
# the latest defaults being another one, and a `program` the master process runs.
DATAPLANE = """global
    log stdout format raw local0

defaults web-defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

defaults tcp-defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h

frontend web from web-defaults
    bind 198.18.0.100:80
    default_backend app

backend app from web-defaults
    server app1 198.18.0.20:8080 check

program api
    command /usr/bin/dataplaneapi -f /etc/haproxy/dataplaneapi.yml
    no option start-on-reload
"""


@needs_tools
def test_proxies_take_the_defaults_they_name(tmp_path: Path) -> None:
    result = import_dir(write_pair(tmp_path, DATAPLANE), prove=True)
    (fe,) = result.model["frontends"]
    assert fe["mode"] == "http"  # web-defaults', not the latest (tcp) defaults'
    report = "\n".join(str(item) for item in result.report.items)
    assert "dropped: lb1/haproxy.cfg:23: program api -- no model object says this" in report
    assert "bind from" not in yaml.safe_dump(result.model)
    result.write(tmp_path / "model" / "lb.yaml")
    assert not render_file(tmp_path / "model" / "lb.yaml").report.failures


# A user-agent blocklist read from a file, and a denylist whose file was not collected.
BLOCKLISTS = """global
    log /dev/log local0

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 198.18.0.100:80
    acl bad-agent hdr_sub(user-agent) -i -f /etc/haproxy/bad-agents.lst
    acl denied req.hdr(x-client) -f /etc/haproxy/denied.lst
    http-request deny if bad-agent
    http-request deny deny_status 429 if denied || { path_beg /admin }
    default_backend app

backend app
    server app1 198.18.0.20:8080 check
"""
AGENTS = "# crawlers\n360Spider\n\nALittle\\\\ Client\n  AhrefsBot  \n-dash-bot\n"


@needs_tools
def test_a_pattern_file_is_written_inline_and_a_missing_one_takes_its_rules(
    tmp_path: Path,
) -> None:
    files = {"etc/haproxy/bad-agents.lst": AGENTS}
    result = import_dir(write_pair(tmp_path, BLOCKLISTS, files), prove=True)
    (fe,) = result.model["frontends"]
    assert (
        "acl bad-agent hdr_sub(user-agent) -i -- "
        "360Spider 'ALittle\\\\ Client' 'AhrefsBot  ' -dash-bot" in fe["extra"]
    )
    assert "http-request deny if bad-agent" in fe["extra"]
    report = "\n".join(str(item) for item in result.report.items)
    assert "lb1/haproxy.cfg:12: acl bad-agent" in report and "4 patterns, written inline" in report
    # HAProxy refuses a rule naming an ACL no line defines: the rule goes with it, reported.
    assert not any("denied" in line for line in fe["extra"])
    assert "missing: lb1/haproxy.cfg:13: /etc/haproxy/denied.lst" in report
    assert "lb1/haproxy.cfg:15: http-request deny deny_status 429 if denied" in report
    assert "uses ACL denied, whose lines could not be kept" in report
    result.write(tmp_path / "model" / "lb.yaml")
    assert not render_file(tmp_path / "model" / "lb.yaml").report.failures


# Generated and old configs: `debug`, a process per socket, retries past the model's range,
# family-prefixed addresses, two virtual hosts behind one address and port.
GENERATED = """global
    log /dev/log local0
    nbproc 2
    debug

defaults
    mode http
    retries 999
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 'ipv4@198.18.0.100:80' process 1
    default_backend app

backend app
    server site_a ipv4@198.18.0.20:8443 ssl verify none sni str(a.example) check
    server site_b ipv4@198.18.0.20:8443 ssl verify none sni str(b.example) check
"""


@needs_tools
def test_generated_and_old_shapes_import(tmp_path: Path) -> None:
    result = import_dir(write_pair(tmp_path, GENERATED), prove=True)
    report = "\n".join(str(item) for item in result.report.items)
    assert "lb1/haproxy.cfg:4: debug -- HAProxy 2.6 has no debug keyword" in report
    assert "became `bind ipv4@198.18.0.100:80`: no processes to bind" in report
    (fe,) = result.model["frontends"]
    assert (fe["vip"], fe["port"]) == ("198.18.0.100", 80)  # the family prefix said nothing
    (pool,) = result.model["pools"]
    assert [(s["name"], s["address"]) for s in pool["servers"]] == [("site_a", "198.18.0.20")]
    # The model takes retries 0-100 and one server per address and port: the rest as written.
    assert "retries 999" in pool["extra"]
    assert any(line.startswith("server site_b ipv4@198.18.0.20:8443") for line in pool["extra"])
    assert "same address and port as server site_a" in report
    result.write(tmp_path / "model" / "lb.yaml")
    assert not render_file(tmp_path / "model" / "lb.yaml").report.failures


def test_quoted_certificate_paths_are_proven_like_plain_ones() -> None:
    text = "    bind :443 ssl crt '/etc/haproxy/site.pem' crt-list \"/etc/haproxy/l.conf\"\n"
    assert absolute_certificates_for_proof(text) == (
        "    bind :443 ssl crt /etc/haproxy/site.pem crt-list /etc/haproxy/l.conf\n"
    )


@needs_tools
def test_a_backend_rule_goes_with_its_acl(tmp_path: Path) -> None:
    config = BLOCKLISTS.replace(
        "    server app1 198.18.0.20:8080 check\n",
        "    acl blocked req.hdr(x-client) -f /etc/haproxy/blocked.lst\n"
        "    http-request deny if blocked\n"
        "    server app1 198.18.0.20:8080 check\n",
    )
    result = import_dir(write_pair(tmp_path, config), prove=True)
    (pool,) = result.model["pools"]
    assert not any("blocked" in line for line in pool.get("extra", []))
    report = "\n".join(str(item) for item in result.report.items)
    assert "http-request deny if blocked -- uses ACL blocked" in report
    result.write(tmp_path / "model" / "lb.yaml")
    assert not render_file(tmp_path / "model" / "lb.yaml").report.failures
