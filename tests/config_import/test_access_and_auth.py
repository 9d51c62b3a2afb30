"""Hand-written source lists (`-f` files), `http-request auth` and tcp checks, imported.

The originals are proven with the real `haproxy -c` (import_dir's proof); each rendered
import must load in `haproxy -c` too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from controlplane.check import check_rendered
from controlplane.model.loader import validate_data
from controlplane.render import render_model
from controlplane.usecases.config_import import ImportResult, import_dir
from tests.config_import.handwritten_pair import write_pair

HASH = (
    "$6$lbctlsalt$lAaPRWhhAsrKQfP8unqaDg3EI2P7DJ./GOWqQgc.vPmyseYg3PpaS.uM9k/tYRB6N2."
    "YfRPMghr4rquCiCwuZ0"
)
HAPROXY = """defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

userlist admins
    user ann password {hash}

frontend web
    bind 198.18.0.100:80
    acl blocked src -f /etc/haproxy/blocked.lst
    acl office src -M -f /etc/haproxy/office.map
    acl admin_ok http_auth(admins)
    http-request deny if blocked
    http-request deny deny_status 403 unless office
    http-request auth realm Admins if {{ path_beg /admin }} !admin_ok
{more}
    default_backend app

backend app
    option tcp-check
    tcp-check send PING\\r\\n
    tcp-check expect string +PONG
    server app1 198.18.0.20:6379 check
"""
BLOCKED = "# abusers\n198.18.9.0/24\n198.18.10.7\n\n"
OFFICE = "198.18.0.0/16 office\n"


def _folder(folder: Path, more: str = "", blocked: str | None = BLOCKED) -> Path:
    files = {"etc/haproxy/office.map": OFFICE}
    if blocked is not None:
        files["etc/haproxy/blocked.lst"] = blocked
    return write_pair(folder, HAPROXY.format(hash=HASH, more=more), files)


def _rendered_config(result: ImportResult) -> str:
    """The import rendered for lb1, after the real haproxy -c accepted every host's files."""
    rendered = render_model(validate_data(yaml.safe_load(result.yaml_text)).model)
    check_rendered(rendered).raise_for_failures()
    return str(rendered.hosts[0].files["haproxy.cfg"])


def _web(result: ImportResult) -> dict[str, Any]:
    return next(f for f in result.model["frontends"] if f["name"] == "web")


def test_source_files_become_the_frontends_access_lists(tmp_path: Path) -> None:
    result = import_dir(_folder(tmp_path), prove=True)
    web = _web(result)
    assert web["access"] == {
        "deny": ["198.18.9.0/24", "198.18.10.7"],
        "allow": ["198.18.0.0/16"],
    }
    lines = result.report.lines()
    assert any("haproxy.cfg:12: acl blocked src -f /etc/haproxy/blocked.lst" in ln for ln in lines)
    assert "deny deny_status 403 if lbctl_access_deny" in _rendered_config(result)
    # The lists are in the model, not files the control plane read from its own disk.
    assert not any("blocked.lst" in str(k) for k in result.model.get("maps", []))


def test_http_request_auth_with_a_userlist_is_a_basic_auth_rule(tmp_path: Path) -> None:
    result = import_dir(_folder(tmp_path), prove=True)
    assert _web(result)["rules"] == [
        {
            "when": {"path_begins": "/admin"},
            "basic_auth": {"userlist": "admins", "realm": "Admins"},
        }
    ]
    assert result.exit_status == 0, result.report.lines()
    cfg = _rendered_config(result)
    assert "http-request auth realm 'Admins' if " in cfg


def test_auth_without_a_realm_announces_the_proxy_name(tmp_path: Path) -> None:
    more = "    http-request auth unless admin_ok"
    result = import_dir(_folder(tmp_path, more), prove=True)
    assert _web(result)["rules"][-1] == {"basic_auth": {"userlist": "admins", "realm": "web"}}
    _rendered_config(result)


def test_auth_the_model_cannot_say_stays_verbatim_with_source_lists_inline(
    tmp_path: Path,
) -> None:
    # Asks everyone on /ops, logged in or not: no basic_auth rule says that.
    more = "    http-request auth if { path_beg /ops } || !admin_ok"
    result = import_dir(_folder(tmp_path, more), prove=True)
    web = _web(result)
    assert "access" not in web and "rules" not in web
    assert "acl blocked src 198.18.9.0/24 198.18.10.7" in web["extra"]
    assert "http-request auth if { path_beg /ops } || !admin_ok" in web["extra"]
    assert not any("-f" in line.split() for line in web["extra"])
    assert "acl blocked src 198.18.9.0/24 198.18.10.7" in _rendered_config(result)


def test_a_long_source_file_is_written_inline_in_lines_haproxy_reads(tmp_path: Path) -> None:
    many = "".join(f"198.18.{i // 250}.{i % 250}\n" for i in range(120))
    more = "    http-request set-var(txn.seen) str(1)"  # no model form: all stays verbatim
    result = import_dir(_folder(tmp_path, more, blocked=many), prove=True)
    inline = [ln for ln in _web(result)["extra"] if ln.startswith("acl blocked src ")]
    assert [len(ln.split()) - 3 for ln in inline] == [50, 50, 20]
    _rendered_config(result)


def test_a_missing_source_file_is_reported_with_its_line(tmp_path: Path) -> None:
    result = import_dir(_folder(tmp_path, blocked=None), prove=False)
    lines = result.report.lines()
    assert any("missing: lb1/haproxy.cfg:12: /etc/haproxy/blocked.lst" in ln for ln in lines), lines
    assert result.exit_status == 1


def test_a_source_file_of_other_things_is_reported(tmp_path: Path) -> None:
    result = import_dir(_folder(tmp_path, blocked="root:x:0:0:root:/root:/bin/bash\n"), prove=False)
    dropped = [i for i in result.report.items if i.outcome == "dropped"]
    assert any("other than addresses" in i.note and i.where.line == 12 for i in dropped)
    assert result.exit_status == 1


def test_a_send_then_expect_tcp_check_maps_to_the_health_check(tmp_path: Path) -> None:
    result = import_dir(_folder(tmp_path), prove=True)
    (check,) = result.model["health_checks"]
    assert (check["type"], check["send"], check["expect_string"]) == ("tcp", "PING\\r\\n", "+PONG")
    assert 'tcp-check send "PING\\r\\n"' in _rendered_config(result)
