"""Mapping an existing pair's configs onto the model: natively, as extra, or reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.config_import.importer import import_hosts, read_dir
from controlplane.config_import.report import ImportRefused
from controlplane.model.loader import validate_data

KEEPALIVED = """global_defs {{
    enable_script_security
    script_user root
}}
vrrp_script chk_haproxy {{
    script "/usr/bin/killall -0 haproxy"
    interval 2
    weight -20
}}
vrrp_script chk_db {{
    script "/usr/local/bin/check-db --port 5432"
    interval 3
    timeout 2
    fall 3
}}
vrrp_instance VI_1 {{
    state {state}
    interface eth0
    virtual_router_id 51
    priority {priority}
    advert_int 1
    {nopreempt}
    unicast_src_ip {me}
    unicast_peer {{
        {peer}
    }}
    authentication {{
        auth_type PASS
        auth_pass s3cret
    }}
    virtual_ipaddress {{
        198.18.0.100/24 dev eth0
    }}
    track_script {{
        chk_haproxy
        chk_db weight -30
    }}
    notify_master "/usr/local/bin/became master"
}}
"""

HAPROXY = r"""global
    log /dev/log local0
    maxconn 4000
    nbproc 1
    user haproxy
    daemon

defaults
    mode http
    contimeout 4s
    clitimeout 40s
    srvtimeout 40s
    option httplog
    option forwardfor

frontend www *:80
    acl is_api hdr(host) -i api.example.com
    acl is_static path_beg /static /assets
    reqadd X-Via:\ lb
    reqrep ^Host:\ (.*) Host:\ new
    redirect scheme https code 301 if { path_beg /login }
    use_backend api if is_api
    use_backend static if is_static !is_api
    default_backend web

frontend www-tls
    bind 198.18.0.100:443 ssl crt /etc/haproxy/certs/site.pem crt /etc/shadow
    http-request set-header X-Forwarded-Proto https
    default_backend web

backend web
    balance leastconn
    option httpchk GET /health
    http-check expect status 200
    default-server inter 3s fall 2
    server web:1 198.18.0.20:8080 check weight 10
    server web2 198.18.0.21:8080 check backup

backend api
    server api1 198.18.0.22:9000

backend static
    server s1 198.18.0.23:80

listen mysql
    bind 198.18.0.100:3306
    mode tcp
    timeout client 1h
    timeout server 1h
    server db1 198.18.0.30:3306 check
"""


def _pair_dir(tmp_path: Path, second: str = HAPROXY) -> Path:
    hosts = {
        "lb1": ("MASTER", 150, "", "198.18.0.10", "198.18.0.11", HAPROXY),
        "lb2": ("BACKUP", 100, "nopreempt", "198.18.0.11", "198.18.0.10", second),
    }
    for host, (state, priority, nopreempt, me, peer, cfg) in hosts.items():
        folder = tmp_path / host
        (folder / "files/etc/haproxy/certs").mkdir(parents=True)
        (folder / "haproxy.cfg").write_text(cfg)
        (folder / "keepalived.conf").write_text(
            KEEPALIVED.format(state=state, priority=priority, nopreempt=nopreempt, me=me, peer=peer)
        )
    (tmp_path / "lb1/files/etc/haproxy/certs/site.pem").write_text("PEM")
    return tmp_path


@pytest.fixture
def imported(tmp_path: Path):
    return import_hosts(read_dir(_pair_dir(tmp_path)))


def test_the_imported_model_is_valid(imported) -> None:
    validate_data(imported.model)


def test_vrrp_instances_pair_up_with_the_master_first(imported) -> None:
    (pair,) = imported.model["vip_pairs"]
    assert pair["hosts"] == ["lb1", "lb2"]
    assert (pair["master_priority"], pair["backup_priority"]) == (150, 100)
    # lb2's nopreempt holds nothing back: lb1, the higher priority, takes the VIPs back.
    assert pair["preempt"] is True and pair["unicast"] is True
    assert pair["authentication"] == {"type": "PASS", "password": "s3cret"}
    assert pair["keepalived"]["notify"] == {"master": "/usr/local/bin/became master"}
    (script,) = pair["keepalived"]["track_scripts"]
    assert script["command"] == "/usr/local/bin/check-db --port 5432"
    assert (script["weight"], script["interval"], script["fall"]) == (30, "3s", 3)
    hosts = {h["name"]: h["address"] for h in imported.model["lb_hosts"]}
    assert hosts == {"lb1": "198.18.0.10", "lb2": "198.18.0.11"}


# `hdr(host) -i api.example.com`: the whole header, any case, `Host: ...:80` not matching.
API_HOST = {"header": {"name": "Host", "matches": r"(?i)^api\.example\.com$"}}


def test_acls_become_rules_in_haproxy_order(imported) -> None:
    www = imported.model["frontends"][0]
    assert www["binds"] == [{"address": "*", "port": 80}]
    assert www["rules"] == [
        {"request_headers": {"add": {"X-Via": "lb"}}},
        {"when": {"path_begins": "/login"}, "redirect": {"scheme": "https", "code": 301}},
        {"when": API_HOST, "use_pool": "api"},
        {
            "when_any": [{"path_begins": "/static"}, {"path_begins": "/assets"}],
            "unless": API_HOST,
            "use_pool": "static",
        },
    ]
    assert www["default_pool"] == "web"


def test_legacy_syntax_is_translated_or_dropped_with_its_line(imported) -> None:
    lines = [str(i) for i in imported.report.items]
    assert "translated: lb1/haproxy.cfg:10: contimeout 4s -- became `timeout connect 4s`" in lines
    assert any(ln.startswith("translated: lb1/haproxy.cfg:16: frontend www *:80") for ln in lines)
    assert any(ln.startswith("dropped: lb1/haproxy.cfg:20: reqrep") for ln in lines)
    assert imported.model["settings"]["timeouts"]["connect"] == "4s"
    assert imported.report.exit_status == 1


def test_servers_keep_weights_backup_and_checks(imported) -> None:
    pools = {p["name"]: p for p in imported.model["pools"]}
    web = pools["web"]
    assert [(s["name"], s["weight"], s.get("backup", False)) for s in web["servers"]] == [
        ("web-1", 10, False),
        ("web2", 1, True),
    ]
    (check,) = [c for c in imported.model["health_checks"] if c["name"] == web["health_check"]]
    assert check == {
        "name": "web-check",
        "type": "http",
        "method": "GET",
        "path": "/health",
        "expect_status": 200,
        "interval": "3s",
        "fall": 2,
    }
    assert "renamed: lb1/haproxy.cfg:36: server:web web:1 -- is `web-1` in the model" in [
        str(i) for i in imported.report.items
    ]


def test_a_listen_splits_into_a_frontend_and_a_pool(imported) -> None:
    mysql = next(f for f in imported.model["frontends"] if f["name"] == "mysql")
    assert (mysql["mode"], mysql["port"], mysql["default_pool"]) == ("tcp", 3306, "mysql")
    assert mysql["timeouts"] == {"client": "1h"}
    pool = next(p for p in imported.model["pools"] if p["name"] == "mysql")
    assert pool["timeouts"] == {"server": "1h"}


def test_named_files_come_from_the_hosts_mirror_only(imported) -> None:
    tls = imported.model["frontends"][1]["tls"]
    assert imported.model["certificates"] == [
        {"name": "site", "file": "files/etc/haproxy/certs/site.pem"}
    ]
    assert imported.files == {"files/etc/haproxy/certs/site.pem": b"PEM"}
    # /etc/shadow is not in the mirror: reported, never read from this machine.
    assert (
        "missing: lb1/haproxy.cfg:27: /etc/shadow -- not in the collected files (certificate)"
        in [str(i) for i in imported.report.items]
    )
    assert tls["certificates"] == ["site"]


def test_a_symlink_out_of_the_mirror_is_not_followed(tmp_path: Path) -> None:
    folder = _pair_dir(tmp_path)
    target = folder / "lb1/files/etc/haproxy/certs/site.pem"
    target.unlink()
    target.symlink_to("/etc/passwd")
    result = import_hosts(read_dir(folder))
    assert result.files == {}


def test_where_the_hosts_differ_is_reported(tmp_path: Path) -> None:
    other = HAPROXY.replace("weight 10", "weight 20")
    result = import_hosts(read_dir(_pair_dir(tmp_path, other)))
    differs = [str(i) for i in result.report.items if i.outcome == "differs"]
    assert differs == [
        "differs: lb2/haproxy.cfg:36: server web:1 198.18.0.20:8080 check weight 20 -- not in "
        "lb1/haproxy.cfg: the model follows it",
        "differs: lb1/haproxy.cfg:36: server web:1 198.18.0.20:8080 check weight 10 -- not in "
        "lb2/haproxy.cfg",
    ]


def test_without_keepalived_there_is_no_pair_to_import(tmp_path: Path) -> None:
    (tmp_path / "lb1").mkdir()
    (tmp_path / "lb1/haproxy.cfg").write_text(HAPROXY)
    with pytest.raises(ImportRefused, match="no VRRP pair found"):
        import_hosts(read_dir(tmp_path))


def test_an_error_page_naming_etc_shadow_reads_nothing_here(tmp_path: Path) -> None:
    folder = _pair_dir(tmp_path)
    for host in ("lb1", "lb2"):
        cfg = folder / host / "haproxy.cfg"
        cfg.write_text(
            cfg.read_text().replace("backend api\n", "backend api\n    errorfile 503 /etc/shadow\n")
        )
    result = import_hosts(read_dir(folder))
    assert (
        "missing: lb1/haproxy.cfg:40: /etc/shadow -- not in the collected files (error_page)"
        in [str(i) for i in result.report.items]
    )
    assert "error_pages" not in result.model
    assert all(b"root:" not in content for content in result.files.values())
