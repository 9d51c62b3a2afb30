"""Stats page, TCP services, health check expectations and logs, through the lab's VIP.

One deployment for the module: the lab model with a stats page behind a user list, a
tcp service on two ports (a tcp frontend with a second bind), a pool whose http check
expects a text only app1 answers, and `web` logging its requests with a request id to a
syslog listener in the client namespace. The PROXY protocol to servers is proven on
loopback (tests/render/test_proxies_loopback.py): the lab backends do not parse it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator

import pytest

from controlplane import lab as lab_api
from controlplane.deploy.executor import SUCCEEDED
from controlplane.lab import CLIENT_ADDRESS, Lab
from tests.rules_models import OPS_HASH

from .deploying import VIP, deploy, lab_model, runtime, statuses, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

STATS_PORT = 9000
DB_PORTS = (5432, 5433)
PICKY_PORT = 8083
SYSLOG_PORT = 5514


def with_proxies(data: dict) -> None:
    data["userlists"] = [{"name": "ops", "users": [{"name": "ops", "password": OPS_HASH}]}]
    data["stats_pages"] = [
        {"name": "ops", "vip_pair": "edge", "port": STATS_PORT, "userlist": "ops"}
    ]
    data["health_checks"].append(
        {
            "name": "says-app1",
            "type": "http",
            "path": "/",
            "expect_string": "app1",
            "interval": "200ms",
            "rise": 1,
            "fall": 1,
        }
    )
    data["pools"][1]["timeouts"] = {"server": "1h"}
    data["pools"].append(
        {
            "name": "picky",
            "health_check": "says-app1",
            "servers": [
                {"name": "app1", "address": "198.18.0.20", "port": 8080},
                {"name": "app2", "address": "198.18.0.21", "port": 8080},
            ],
        }
    )
    web = data["frontends"][0]
    web["logging"] = {
        "custom_format": "lbctl-lab %ci %HU %ST id=%ID",
        "targets": [{"address": f"{CLIENT_ADDRESS}:{SYSLOG_PORT}", "facility": "local0"}],
        "request_id": {"header": "X-Request-ID"},
    }
    data["frontends"] += [
        {
            "name": "db",
            "vip_pair": "edge",
            "port": DB_PORTS[0],
            "mode": "tcp",
            "default_pool": "app-tcp",
            "timeouts": {"client": "1h"},
            "binds": [{"address": VIP, "port": DB_PORTS[1]}],
        },
        {"name": "picky", "vip_pair": "edge", "port": PICKY_PORT, "default_pool": "picky"},
    ]


@pytest.fixture(scope="module")
def proxies_lab(lab_session: None) -> Iterator[Lab]:
    current = lab_api.current()
    if current is None or current.health():
        current = lab_api.up(lb_hosts=2, backends=3)
    result = deploy(current, lab_model(with_proxies))
    # "unchanged" when an earlier run of this module left the same files on the hosts.
    assert all(s in SUCCEEDED for _, s in statuses(result)), result
    assert wait_for(lambda: current.vips_on("lb1") == [VIP], 15)
    yield current


def status_and_headers(lab: Lab, url: str, *args: str) -> tuple[int, str]:
    out = lab.exec_in_client(["curl", "-sS", "-m", "3", "-o", "/dev/null", "-D", "-", *args, url])
    head = out.stdout.replace("\r", "")
    return int(head.split()[1]), head


def test_the_stats_page_asks_for_credentials(proxies_lab: Lab) -> None:
    url = f"http://{VIP}:{STATS_PORT}/stats"
    status, head = status_and_headers(proxies_lab, url)
    assert status == 401 and "www-authenticate: basic" in head.lower()
    assert status_and_headers(proxies_lab, url, "-u", "ops:wrong")[0] == 401


def test_the_stats_page_shows_the_pools_to_its_user(proxies_lab: Lab) -> None:
    url = f"http://{VIP}:{STATS_PORT}/stats"
    page = proxies_lab.exec_in_client(["curl", "-sS", "-m", "3", "-u", "ops:secret", url])
    assert "Statistics Report" in page.stdout and "picky" in page.stdout
    assert status_and_headers(proxies_lab, url, "-u", "ops:secret")[0] == 200


@pytest.mark.parametrize("port", DB_PORTS)
def test_a_tcp_service_answers_on_each_of_its_ports(proxies_lab: Lab, port: int) -> None:
    status, head = status_and_headers(proxies_lab, f"http://{VIP}:{port}/")
    assert status == 200 and re.search(r"^x-backend: app[12]$", head, re.MULTILINE | re.I)


def test_a_server_whose_body_lacks_the_expected_text_is_down(proxies_lab: Lab) -> None:
    def states() -> dict[str, str]:
        csv = runtime(proxies_lab, "lb1", "show stat")
        rows = [line.split(",") for line in csv.splitlines() if line.startswith("picky,app")]
        return {row[1]: row[17] for row in rows}

    assert wait_for(lambda: states() == {"app1": "UP", "app2": "DOWN"}, 10), states()
    backends = set()
    for _ in range(4):
        _, head = status_and_headers(proxies_lab, f"http://{VIP}:{PICKY_PORT}/")
        backends.add(re.search(r"^x-backend: (\S+)$", head, re.MULTILINE | re.I).group(1))
    assert backends == {"app1"}


LISTEN_AND_REQUEST = textwrap.dedent(
    """
    import socket, sys, time, urllib.request
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("{client}", {port}))
    listener.settimeout(0.5)
    urllib.request.urlopen("http://{vip}/traced-{marker}", timeout=3).read()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            datagram = listener.recv(65535).decode(errors="replace")
        except TimeoutError:
            continue
        if "traced-{marker}" in datagram:
            print(datagram)
            sys.exit(0)
    sys.exit("no log line arrived")
    """
)


def test_web_logs_each_request_with_its_id_to_the_syslog_target(proxies_lab: Lab) -> None:
    marker = "a1b2"
    script = LISTEN_AND_REQUEST.format(
        client=CLIENT_ADDRESS, port=SYSLOG_PORT, vip=VIP, marker=marker
    )
    line = proxies_lab.exec_in_client(["python3", "-c", script]).stdout
    found = re.search(r"lbctl-lab (\S+) /traced-a1b2 200 id=(\S+)", line)
    assert found, line
    assert found.group(1) == CLIENT_ADDRESS and len(found.group(2)) > 20
    assert line.startswith("<134>")  # syslog priority: facility local0 (16) * 8 + info (6)
