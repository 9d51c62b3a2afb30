"""Routing rules, access lists and rate limits answer real requests through the VIP.

One deployment for the module: the lab model with rules of every kind on `web`, a
frontend that denies the client by source, and a rate-limited one whose counter must
survive a failover (the pair replicates it with peers). Each test sends a few requests
with curl from the client namespace and checks status, pool reached (the backend's
X-Backend header), Location and headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from controlplane.lab import CLIENT_ADDRESS, Lab
from tests.rules_models import OPS_HASH

from .deploying import (
    VIP,
    deploy,
    fast_vrrp,
    lab_model,
    runtime,
    statuses,
    wait_for,
    worker_pid,
)

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

BLOCKED_PORT = 8081
LIMITED_PORT = 8082
FEW_PORT = 8083  # at most 2 connections at once per client
LIMIT = 10  # requests per 30 s per client on the limited frontend

RULES = [
    {"when": {"path_begins": "/old"}, "redirect": {"scheme": "https", "code": 301}},
    {
        "when": {"host": "old.example.com"},
        "redirect": {"prefix": "https://new.example.com", "code": 308},
    },
    {
        "when": {"path": "/moved"},
        "redirect": {"location": "https://example.com/new%20place", "code": 302},
    },
    {"name": "admin", "when": {"path_prefix": "/admin"}, "basic_auth": {"userlist": "ops"}},
    {"when": {"path_begins": "/private"}, "unless": {"source": ["198.18.99.0/24"]}, "deny": {}},
    {"when": {"method": ["DELETE"]}, "deny": {"status": 405}},
    {
        "when": {"path": "/maintenance"},
        "respond": {"status": 503, "body": 'back soon # 100% "sure"'},
    },
    {"when": {"path": "/strip"}, "request_headers": {"delete": ["X-Remove"]}},
    {"request_headers": {"set": {"X-Tag": "blue sky"}}},
    {"hsts": {"max_age": 600, "include_subdomains": True}},
    {"response_headers": {"set": {"X-Frame-Options": "DENY"}, "delete": ["Server"]}},
    {"when": {"query": {"name": "trace"}}, "response_headers": {"add": {"X-Traced": "yes"}}},
    {
        "name": "api",
        "when_any": [
            {"host": "*.api.example.com"},
            {"header": {"name": "X-Canary", "equals": "1"}},
            {"cookie": {"name": "beta", "equals": "on"}},
            {"path_regex": "^/re/[0-9]+$"},
            {"path": "/tag", "header": {"name": "X-Tag", "equals": "blue sky"}},
            {"header": {"name": "X-Remove"}},
        ],
        "use_pool": "api",
    },
]


def with_rules(data: dict) -> None:
    data["userlists"] = [{"name": "ops", "users": [{"name": "ops", "password": OPS_HASH}]}]
    # app3 alone: a request that reaches it was routed to `api`, never to `app`.
    data["pools"].append(
        {"name": "api", "servers": [{"name": "app3", "address": "198.18.0.22", "port": 8080}]}
    )
    web = data["frontends"][0]
    web["rules"] = RULES
    web["access"] = {"allow": ["198.18.0.0/15"], "deny": ["198.18.99.0/24"]}
    data["frontends"] += [
        {
            "name": "blocked",
            "vip_pair": "edge",
            "port": BLOCKED_PORT,
            "default_pool": "app",
            "access": {"deny": [f"{CLIENT_ADDRESS}/32"]},
        },
        {
            "name": "limited",
            "vip_pair": "edge",
            "port": LIMITED_PORT,
            "default_pool": "app",
            "rate_limit": {"requests": LIMIT, "period": "30s", "connections": 50},
        },
        {
            "name": "few",
            "vip_pair": "edge",
            "port": FEW_PORT,
            "default_pool": "app",
            "rate_limit": {"connections": 2},
        },
    ]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value

    @property
    def backend(self) -> str | None:
        return self.headers.get("x-backend")


def request(
    lab: Lab,
    path: str = "/",
    port: int = 80,
    headers: tuple[str, ...] = (),
    args: tuple[str, ...] = (),
) -> Answer:
    """Return the status and headers of one request from the client to the VIP."""
    argv = ["curl", "-sS", "-m", "3", "-o", "/dev/null", "-D", "-", *args]
    for header in headers:
        argv += ["-H", header]
    out = lab.exec_in_client([*argv, f"http://{VIP}:{port}{path}"]).stdout
    lines = out.replace("\r", "").strip().splitlines()
    found = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return Answer(int(lines[0].split()[1]), found)


def statuses_of(lab: Lab, count: int, port: int) -> list[int]:
    """Return the statuses of `count` requests over one keep-alive connection."""
    url = f"http://{VIP}:{port}/"
    argv = ["curl", "-sS", "-m", "5", "-w", "%{http_code}\\n"]
    for _ in range(count):
        argv += ["-o", "/dev/null", url]  # curl's -o applies to one URL
    out = lab.exec_in_client(argv).stdout
    return [int(code) for code in out.split()]


def replicated_rate(lab: Lab, host: str) -> int:
    """Return the client's request rate in `host`'s table of the limited frontend (0: none)."""
    table = runtime(lab, host, "show table limited")
    found = re.search(
        rf"key=(::ffff:)?{re.escape(CLIENT_ADDRESS)} .*http_req_rate\(\d+\)=(\d+)", table
    )
    return int(found.group(2)) if found else 0


@pytest.fixture(scope="module")
def rules_lab(fresh_lab: Lab) -> Iterator[Lab]:
    result = deploy(fresh_lab, lab_model(fast_vrrp, with_rules))
    assert [s for _, s in statuses(result)] == ["changed", "changed"], result
    assert wait_for(lambda: fresh_lab.vips_on("lb1") == [VIP], 10)
    try:
        yield fresh_lab
    finally:
        fresh_lab.link_up("lb1")


def test_requests_without_a_rule_reach_the_default_pool(rules_lab: Lab) -> None:
    answer = request(rules_lab)
    assert answer.status == 200 and answer.backend in ("app1", "app2")


@pytest.mark.parametrize(
    ("headers", "path"),
    [
        (("Host: v2.api.example.com",), "/"),
        (("X-Canary: 1",), "/"),
        (("Cookie: a=b; beta=on",), "/"),
        ((), "/re/42"),
        ((), "/tag"),  # the X-Tag header a rule set before it
        (("X-Remove: 1",), "/kept"),
    ],
)
def test_each_condition_kind_routes_to_the_pool(
    rules_lab: Lab, headers: tuple[str, ...], path: str
) -> None:
    assert request(rules_lab, path, headers=headers).backend == "app3"


@pytest.mark.parametrize(
    ("headers", "path"),
    [
        (("Host: api.example.com.evil.test",), "/"),
        (("X-Canary: 10",), "/"),
        (("Cookie: beta=off",), "/"),
        ((), "/re/42x"),
        (("X-Remove: 1",), "/strip"),  # deleted by an earlier rule before routing
    ],
)
def test_near_misses_stay_on_the_default_pool(
    rules_lab: Lab, headers: tuple[str, ...], path: str
) -> None:
    assert request(rules_lab, path, headers=headers).backend in ("app1", "app2")


def test_redirects_answer_their_code_and_location(rules_lab: Lab) -> None:
    https = request(rules_lab, "/old/page?x=1", headers=("Host: www.example.com",))
    assert (https.status, https.headers["location"]) == (
        301,
        "https://www.example.com/old/page?x=1",
    )
    moved = request(rules_lab, "/a/b?q=2", headers=("Host: old.example.com",))
    assert (moved.status, moved.headers["location"]) == (308, "https://new.example.com/a/b?q=2")
    fixed = request(rules_lab, "/moved")
    assert (fixed.status, fixed.headers["location"]) == (302, "https://example.com/new%20place")


def test_basic_auth_asks_for_credentials_and_lets_the_user_in(rules_lab: Lab) -> None:
    challenged = request(rules_lab, "/admin/")
    assert challenged.status == 401
    assert challenged.headers["www-authenticate"] == 'Basic realm="restricted"'
    assert request(rules_lab, "/admin/", args=("-u", "ops:wrong")).status == 401
    allowed = request(rules_lab, "/admin/", args=("-u", "ops:secret"))
    assert allowed.status == 200 and allowed.backend in ("app1", "app2")
    assert request(rules_lab, "/administrator").status == 200  # a segment prefix


def test_deny_and_respond_answer_without_a_server(rules_lab: Lab) -> None:
    denied = request(rules_lab, "/private/x")
    assert denied.status == 403 and denied.backend is None
    assert request(rules_lab, "/", args=("-X", "DELETE")).status == 405
    maintenance = request(rules_lab, "/maintenance")
    assert maintenance.status == 503 and maintenance.backend is None
    body = rules_lab.exec_in_client(["curl", "-sS", "-m", "3", f"http://{VIP}/maintenance"])
    assert body.stdout == 'back soon # 100% "sure"'


def test_response_headers_are_set_added_and_deleted(rules_lab: Lab) -> None:
    plain = request(rules_lab)
    assert plain.headers["strict-transport-security"] == "max-age=600; includeSubDomains"
    assert plain.headers["x-frame-options"] == "DENY"
    assert "server" not in plain.headers  # the backend sends one; the rule deleted it
    assert "x-traced" not in plain.headers
    assert request(rules_lab, "/?trace=1").headers["x-traced"] == "yes"
    # http-after-response: HAProxy's own answers (deny, redirect) carry them too.
    for answer in (request(rules_lab, "/private/x"), request(rules_lab, "/moved")):
        assert answer.headers["strict-transport-security"] == "max-age=600; includeSubDomains"
        assert answer.headers["x-frame-options"] == "DENY"


def test_a_denied_source_gets_403_and_others_pass(rules_lab: Lab) -> None:
    assert request(rules_lab, port=BLOCKED_PORT).status == 403
    assert request(rules_lab).status == 200  # web allows 198.18.0.0/15, the client's network


# Two idle connections held open, then a third that asks, polled until HAProxy has
# tracked the two (bounded: 2 s); then the same after closing them.
_THIRD_CONNECTION = """
import socket, sys, time
address = (sys.argv[1], int(sys.argv[2]))
request = b"GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n"
def ask():
    with socket.create_connection(address, timeout=3) as s:
        s.sendall(request)
        return s.recv(64).split(b" ")[1].decode()
def poll(wanted):
    deadline = time.monotonic() + 2
    while True:
        status = ask()
        if status == wanted or time.monotonic() > deadline:
            return status
        time.sleep(0.02)
held = [socket.create_connection(address, timeout=3) for _ in range(2)]
print(poll("429"))
for s in held:
    s.close()
print(poll("200"))
"""


def test_a_client_over_its_concurrent_connections_gets_429(rules_lab: Lab) -> None:
    argv = ["python3", "-c", _THIRD_CONNECTION, VIP, str(FEW_PORT)]
    assert rules_lab.exec_in_client(argv).stdout.split() == ["429", "200"]


def unblock_the_client(data: dict) -> None:
    blocked = next(f for f in data["frontends"] if f["name"] == "blocked")
    blocked["access"] = {"deny": ["198.18.99.0/24"]}


def test_an_access_list_change_applies_without_a_reload(rules_lab: Lab) -> None:
    """The lists are map files: the deploy replaces their entries through the runtime API."""
    lab = rules_lab
    before = {host: worker_pid(lab, host) for host in ("lb1", "lb2")}
    assert request(lab, port=BLOCKED_PORT).status == 403
    result = deploy(lab, lab_model(fast_vrrp, with_rules, unblock_the_client))
    assert all(status in ("changed", "unchanged") for _, status in statuses(result)), result
    assert request(lab, port=BLOCKED_PORT).status == 200
    assert {host: worker_pid(lab, host) for host in ("lb1", "lb2")} == before  # no reload
    shown = runtime(lab, "lb2", "show map /etc/haproxy/lbctl/maps/access/blocked.deny.map")
    assert "198.18.99.0/24 1" in shown and CLIENT_ADDRESS not in shown


def test_the_rate_limit_answers_429_and_survives_a_failover(rules_lab: Lab) -> None:
    lab = rules_lab
    answered = statuses_of(lab, LIMIT + 5, LIMITED_PORT)
    assert answered == [200] * LIMIT + [429] * 5, answered
    # The counter reached lb2 through the peers section...
    assert wait_for(lambda: replicated_rate(lab, "lb2") > LIMIT, 5), runtime(
        lab, "lb2", "show table limited"
    )
    lab.link_down("lb1")
    assert wait_for(lambda: lab.vips_on("lb2") == [VIP], 5)
    # ...so lb2 still refuses the client: without replication it would start again at 0.
    assert statuses_of(lab, 3, LIMITED_PORT) == [429] * 3
    assert statuses_of(lab, 1, 80) == [200]  # the other frontends do not count
