"""Adopting a hand-written pair in the lab: import from the hosts, diff, first deploy (root only).

The lab's hosts run a pair lbctl never rendered (tests/lab/handwritten/). `lbctl import -i`
and the web app's "Import from hosts" read it over SSH; `lbctl diff -i` then shows only
lbctl's own additions and formatting (adoption_diff.py classifies every line); the first
deploy is a reload -- the same HAProxy master, a new worker -- after which the same
requests through the VIP reach the same servers with the same status and Location.
The module's lab is a fresh one, rebuilt fresh again after it (the `fresh_lab` fixture).
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from controlplane import store
from controlplane.lab import Lab
from controlplane.model.loader import validate_data
from controlplane.web import create_app
from tests.config_import.equivalence import derive_requests
from tests.web.conftest import PASSWORD, csrf_token, log_in

from ..test_cli import lbctl
from .adoption_diff import classify
from .deploying import VIP, deploy, live_file, statuses, wait_for, worker_pid
from .faulting import SQUATTED_PORT, port_squatted
from .handwritten_pair import HOSTS, haproxy_cfg, keepalived_conf

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

# Sent from the client namespace: each request a few times (round robin shows every
# server it spreads over); the answer is the servers that replied, status and Location.
ASK = r"""
import http.client, json, sys
answers = []
for r in json.loads(sys.argv[1]):
    served, status, location = set(), None, None
    for _ in range(4):
        try:
            conn = http.client.HTTPConnection(r["address"], r["port"], timeout=3)
            conn.request(r["method"], r["path"], headers={"Host": r["host"], **r["headers"]})
            answer = conn.getresponse()
            answer.read()
            status, location = answer.status, answer.getheader("Location")
            if answer.getheader("X-Backend"):
                served.add(answer.getheader("X-Backend"))
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            status = "error: " + type(exc).__name__
    answers.append({"status": status, "served": sorted(served), "location": location})
print(json.dumps(answers))
"""


def ask(lab: Lab, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = lab.exec_in_client([sys.executable, "-c", ASK, json.dumps(requests)], timeout=60)
    return list(json.loads(out.stdout))


@pytest.fixture(scope="module")
def handwritten(fresh_lab: Lab) -> Iterator[Lab]:
    """The lab's hosts running the hand-written pair, lb1 holding the VIP."""
    for host in HOSTS:
        fresh_lab.exec_on(host, ["tee", "/etc/haproxy/haproxy.cfg"], input=haproxy_cfg())
        fresh_lab.exec_on(host, [str(fresh_lab.host(host).haproxy_reload)])
        fresh_lab.exec_on(
            host, ["tee", "/etc/keepalived/keepalived.conf"], input=keepalived_conf(host)
        )
        fresh_lab.exec_on(host, [str(fresh_lab.host(host).keepalived_reload)])
    assert wait_for(lambda: fresh_lab.vips_on("lb1") == [VIP], 15), "lb1 never took the VIP"
    yield fresh_lab


@pytest.fixture(scope="module")
def requests(handwritten: Lab) -> list[dict[str, Any]]:
    """Requests derived from the hand-written config's own rules, on each listener."""
    return derive_requests(haproxy_cfg(), VIP)


@pytest.fixture(scope="module")
def served_before(handwritten: Lab, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return ask(handwritten, requests)


@pytest.fixture(scope="module")
def cli_import(
    handwritten: Lab, served_before: list[dict[str, Any]], tmp_path_factory
) -> tuple[int, list[str], Path]:
    """`lbctl import -i` of the running pair: exit status, report lines, the model file."""
    out = tmp_path_factory.mktemp("adopted") / "lb.yaml"
    code, _, stderr = lbctl("import", "-i", str(handwritten.inventory_path), "-o", str(out))
    report = [line for line in stderr.splitlines() if not line.startswith("wrote ")]
    return code, report, out


def test_import_from_the_hosts_carries_everything_over(cli_import) -> None:
    code, report, out = cli_import
    assert code == 0, report
    assert report[0] == "import: 45 modelled natively, 0 kept as extra, 1 translated, 0 dropped"
    assert report[1:] == [
        "translated: lb1/keepalived.conf:8: vrrp_script chk_haproxy -- lbctl's own HAProxy "
        "check (chk_haproxy) replaces it"
    ]
    model = yaml.safe_load(out.read_text())
    assert [f["name"] for f in model["frontends"]] == ["www", "tcp-8080"]
    assert model["vip_pairs"][0]["hosts"] == ["lb1", "lb2"]  # lb1: the higher priority


def test_diff_against_the_hosts_shows_only_lbctl_additions_and_formatting(
    handwritten: Lab, cli_import
) -> None:
    _, _, out = cli_import
    code, stdout, _ = lbctl("diff", str(out), "-i", str(handwritten.inventory_path))
    assert code == 1  # lbctl's additions are a difference
    found = classify(stdout)
    assert found.unexplained == [], "\n".join(found.unexplained)
    assert {"lbctl", "moved", "default", "rule"} <= set(found.kinds)


@pytest.fixture
def lab_app(handwritten: Lab, tmp_path: Path) -> Iterator[Flask]:
    """An app managing environment "lab" with the lab's inventory and no revision yet."""
    app = create_app(
        home=tmp_path / "instance",
        environment="lab",
        inventory=handwritten.inventory_path,
        secure_cookies=False,
        admin_password=None,
    )
    with app.extensions["lbctl.sessions"].begin() as session:
        store.create_user(session, "operator", PASSWORD, "operator")
    yield app
    app.extensions["lbctl.sessions"].kw["bind"].dispose()


def test_import_from_hosts_in_the_web_app_saves_revision_1_with_the_report(
    lab_app: Flask, cli_import
) -> None:
    _, report, out = cli_import
    client = lab_app.test_client()
    log_in(client, "operator")
    answer = client.post(
        "/import-hosts",
        data={
            "csrf_token": csrf_token(client, "/import-hosts"),
            "base_revision": "",
            "host": ["lb1", "lb2"],
            "message": "adopt the hand-written pair",
        },
    )
    page = answer.get_data(as_text=True)
    assert "Imported from lb1, lb2 as revision 1." in page, page[:3000]
    shown = re.search(r'id="import-report">.*?<pre[^>]*>(.*?)</pre>', page, re.S)
    assert shown and html.unescape(shown.group(1)).splitlines() == report
    with lab_app.extensions["lbctl.sessions"].begin() as session:
        document = json.loads(store.get_revision(session, "lab", 1).content)
        entry = store.list_audit_entries(session, limit=1)[0]
        assert (entry.action, entry.actor) == ("model.import", "operator")
    imported = yaml.safe_load(out.read_text())
    assert validate_data(document).model == validate_data(imported).model


def test_a_failed_first_deploy_restores_the_operators_own_config(
    handwritten: Lab, cli_import, requests, served_before
) -> None:
    # The operator's file has no lbctl monitor endpoint: the rollback is proven by the new
    # worker alone (by the process tree where the file opens no admin socket either), and
    # the pair serves as before.
    _, _, out = cli_import
    document = yaml.safe_load(out.read_text())
    document["frontends"].append(
        {
            "name": "squatted",
            "vip_pair": document["vip_pairs"][0]["name"],
            "port": SQUATTED_PORT,
            "default_pool": document["pools"][0]["name"],
        }
    )
    operators = live_file(handwritten, "lb2", "/etc/haproxy/haproxy.cfg")
    master, worker = handwritten.haproxy_master_pid("lb2"), worker_pid(handwritten, "lb2")
    with port_squatted(handwritten, "lb2"):  # lb2, the BACKUP, goes first and cannot bind
        result = deploy(handwritten, validate_data(document).model)

    failures = [(h.host, h.failed_step, h.error) for h in result.hosts if h.error]
    assert statuses(result) == [("lb2", "rolled back"), ("lb1", "not run")], failures
    assert live_file(handwritten, "lb2", "/etc/haproxy/haproxy.cfg") == operators
    assert handwritten.haproxy_master_pid("lb2") == master
    assert worker_pid(handwritten, "lb2") != worker  # the operator's config, reloaded
    assert ask(handwritten, requests) == served_before


def test_the_first_deploy_is_a_reload_that_changes_no_routing(
    handwritten: Lab, cli_import, requests, served_before
) -> None:
    _, _, out = cli_import
    masters = {h: handwritten.haproxy_master_pid(h) for h in HOSTS}
    workers = {h: worker_pid(handwritten, h) for h in HOSTS}
    model = validate_data(yaml.safe_load(out.read_text())).model
    result = deploy(handwritten, model)
    failures = [(h.host, h.failed_step, h.error) for h in result.hosts if h.error]
    assert statuses(result) == [("lb2", "changed"), ("lb1", "changed")], failures  # BACKUP first
    assert {h: handwritten.haproxy_master_pid(h) for h in HOSTS} == masters  # a reload
    assert all(worker_pid(handwritten, h) != workers[h] for h in HOSTS)
    assert handwritten.vips_on("lb1") == [VIP]
    after = ask(handwritten, requests)
    changed = [
        f"{r['method']} {r['host']}:{r['port']}{r['path']}: {b} -> {a}"
        for r, b, a in zip(requests, served_before, after, strict=True)
        if a != b
    ]
    assert changed == [], "\n".join(changed)
    # The requests reached the rules: routed, redirected (and served by every pool).
    assert {200, 301} <= {a["status"] for a in after}
    assert {"app1", "app2", "app3"} <= {s for a in after for s in a["served"]}


def test_an_original_that_fails_haproxy_c_is_refused_and_nothing_saved(
    handwritten: Lab, lab_app: Flask
) -> None:
    # A typo in lb2's file, saved but never reloaded: haproxy -c refuses it as it is.
    broken = haproxy_cfg().replace("use_backend shop if", "use_backend shopp if")
    handwritten.exec_on("lb2", ["tee", "/etc/haproxy/haproxy.cfg"], input=broken)
    client = lab_app.test_client()
    with lab_app.extensions["lbctl.sessions"].begin() as session:
        user = store.get_user(session, "operator")
        _, token = store.create_token(session, user, "ci", "operator")
    answer = client.post(
        "/api/v1/import/hosts",
        json={},  # every host of the inventory
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error.startswith("cannot import: lb2/haproxy.cfg fails haproxy -c as it is"), error
    assert "unable to find required use_backend: 'shopp'" in error
    with lab_app.extensions["lbctl.sessions"].begin() as session:
        assert store.current_revision(session, "lab") is None
