"""Service discovery against a real DNS server (dnsmasq), and extra binds, on the lab (root).

One deployment for the module: a resolver pointing at dnsmasq in the client namespace, a
pool whose one server is a DNS name, a pool of SRV-filled `server-template` slots (the
shape of Consul's DNS interface), a resolver that reads each LB host's /etc/resolv.conf
(which names dnsmasq there: a bind mount inside the host's own mount namespace), and a
frontend that also binds `*` and a unix socket. dnsmasq is stopped by its pid and the
resolv.conf mounts are undone when the module ends, also on failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from controlplane import lab as lab_api
from controlplane.lab import CLIENT_ADDRESS, Lab, backend_address, lb_address
from controlplane.lab.dns_server import LabDnsServer, SrvRecord, running_dns
from controlplane.render import SERVER_STATE_FILE

from .deploying import VIP, deploy, lab_model, runtime, wait_for, worker_pid

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

HOSTS = ("lb1", "lb2")
NAMED = "app.lab.internal"
CONSUL_SRV = "_http._tcp.app.service.consul"
NAMED_PORT, CONSUL_PORT, ANY_ADDRESS_PORT, RESOLV_CONF_PORT = 8081, 8082, 8083, 8084
# Known only to the lab's DNS server, which only the hosts' resolv.conf names for this pool.
BY_RESOLV_CONF = "resolv-conf.lab.internal"
LAB_RESOLV_CONF = "/run/lbctl-lab-resolv.conf"
RESOLV = "/etc/resolv.conf"
SOCKET = "/run/haproxy/named.sock"
# One A record and two SRV answers whose targets are the lab's app1 and app2.
A_RECORDS = {
    NAMED: backend_address(1),
    "app1.node.consul": backend_address(1),
    "app2.node.consul": backend_address(2),
    BY_RESOLV_CONF: backend_address(3),
}
SRV_RECORDS = {
    CONSUL_SRV: [SrvRecord("app1.node.consul", 8080), SrvRecord("app2.node.consul", 8080)]
}


def discovery(data: dict) -> None:
    data["resolvers"] = [
        {
            "name": "lab-dns",
            "nameservers": [{"address": CLIENT_ADDRESS, "port": 53}],
            # Ask again every 200 ms, so a test sees a change within a second.
            "timeouts": {"resolve": "200ms", "retry": "200ms"},
            "hold": {"valid": "1s"},
        },
        {"name": "host-dns", "parse_resolv_conf": True, "timeouts": {"resolve": "200ms"}},
    ]
    data["health_checks"].append(
        {"name": "quick", "type": "http", "path": "/healthz", "interval": "300ms", "rise": 1}
    )
    data["pools"] += [
        {
            "name": "named",
            "resolvers": "lab-dns",
            "health_check": "quick",
            "servers": [{"name": "app", "address": NAMED, "port": 8080}],
        },
        {
            "name": "consul",
            "resolvers": "lab-dns",
            "health_check": "quick",
            "servers": [],
            "server_templates": [{"name": "web", "count": 3, "dns_name": CONSUL_SRV}],
        },
        {
            "name": "by-resolv-conf",
            "resolvers": "host-dns",
            "health_check": "quick",
            "servers": [{"name": "app", "address": BY_RESOLV_CONF, "port": 8080}],
        },
    ]
    data["frontends"] += [
        {
            "name": "named",
            "vip_pair": "edge",
            "port": NAMED_PORT,
            "default_pool": "named",
            "binds": [
                {"address": "*", "port": ANY_ADDRESS_PORT},
                {"unix_socket": SOCKET, "mode": "600"},
            ],
        },
        {"name": "consul", "vip_pair": "edge", "port": CONSUL_PORT, "default_pool": "consul"},
        {
            "name": "by-resolv-conf",
            "vip_pair": "edge",
            "port": RESOLV_CONF_PORT,
            "default_pool": "by-resolv-conf",
        },
    ]


@pytest.fixture(scope="module")
def dns(lab_session: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDnsServer]:
    lab = lab_api.current()
    if lab is None or lab.health():
        lab = lab_api.up(lb_hosts=2, backends=3)
    workdir = tmp_path_factory.mktemp("dns")
    with (
        running_dns(workdir, lab.client_ns, CLIENT_ADDRESS, A_RECORDS, SRV_RECORDS) as server,
        resolv_conf_naming(lab, CLIENT_ADDRESS),
    ):
        result = deploy(lab, lab_model(discovery))
        assert {h.status for h in result.hosts} == {"changed"}, result
        assert wait_for(lambda: lab.vips_on("lb1") == [VIP], 10)
        yield server


@contextmanager
def resolv_conf_naming(lab: Lab, nameserver: str) -> Iterator[None]:
    """Show each LB host an /etc/resolv.conf naming `nameserver`, in its own mount namespace.

    The file lives in the host's private /run; the mount is undone after, also on failure.
    """
    mounted = []
    try:
        for host in HOSTS:
            lab.exec_on(
                host,
                ["sh", "-c", f"cat > {LAB_RESOLV_CONF} && mount --bind {LAB_RESOLV_CONF} {RESOLV}"],
                input=f"nameserver {nameserver}\n",
            )
            mounted.append(host)
        yield
    finally:
        for host in mounted:
            lab.exec_on(host, ["umount", RESOLV], check=False)


def answer(lab: Lab, url: str) -> str:
    """Return the backend name that answered one GET from the client, "" on failure."""
    done = lab.exec_in_client(["curl", "-s", "-m", "2", url], check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def answers(lab: Lab, url: str, count: int = 12) -> set[str]:
    return {answer(lab, url) for _ in range(count)}


def server_addresses(lab: Lab, host: str, backend: str) -> dict[str, str]:
    """Return server -> address ("-" for none) of `backend` on `host`, from the runtime API."""
    # be_id be_name srv_id srv_name srv_addr ...
    lines = runtime(lab, host, f"show servers state {backend}").splitlines()
    rows = [ln.split() for ln in lines if ln and not ln.startswith("#") and len(ln.split()) > 5]
    return {fields[3]: fields[4] for fields in rows}


def test_a_server_by_dns_name_follows_the_record_without_a_reload(
    lab: Lab, dns: LabDnsServer
) -> None:
    url = f"http://{VIP}:{NAMED_PORT}/"
    assert wait_for(lambda: answer(lab, url) == "app1", 10)
    pids = {h: worker_pid(lab, h) for h in HOSTS}

    dns.set_address(NAMED, backend_address(2))

    assert wait_for(lambda: answers(lab, url, 4) == {"app2"}, 10), (
        answers(lab, url),
        server_addresses(lab, "lb1", "named"),
        runtime(lab, "lb1", "show servers state named"),
    )
    assert answers(lab, url) == {"app2"}
    # Both hosts follow the name (the backup too), and neither reloaded.
    for host in HOSTS:
        assert wait_for(
            lambda h=host: server_addresses(lab, h, "named") == {"app": backend_address(2)}, 5
        )
    assert {h: worker_pid(lab, h) for h in HOSTS} == pids

    dns.set_address(NAMED, backend_address(1))
    assert wait_for(lambda: answers(lab, url, 4) == {"app1"}, 10)
    assert {h: worker_pid(lab, h) for h in HOSTS} == pids


def test_server_template_slots_fill_from_srv_records_and_serve(lab: Lab, dns: LabDnsServer) -> None:
    url = f"http://{VIP}:{CONSUL_PORT}/"
    assert wait_for(lambda: answers(lab, url, 6) == {"app1", "app2"}, 15)
    for host in HOSTS:
        slots = server_addresses(lab, host, "consul")
        assert sorted(slots) == ["web1", "web2", "web3"]
        # Two SRV answers fill two slots; the third waits for one, with no address.
        filled = sorted(a for a in slots.values() if a not in ("-", "0.0.0.0"))
        assert filled == [backend_address(1), backend_address(2)], slots


def test_a_star_bind_answers_on_the_hosts_own_address_too(lab: Lab, dns: LabDnsServer) -> None:
    assert wait_for(lambda: answer(lab, f"http://{VIP}:{ANY_ADDRESS_PORT}/") != "", 10)
    # The master's own address: only `*` listens there.
    assert answer(lab, f"http://{lb_address(1)}:{ANY_ADDRESS_PORT}/") in {"app1", "app2"}


def test_a_unix_socket_bind_serves_local_consumers(lab: Lab, dns: LabDnsServer) -> None:
    done = lab.exec_on(
        "lb1", ["curl", "-s", "-m", "2", "--unix-socket", SOCKET, "http://local/"], check=False
    )
    assert done.returncode == 0 and done.stdout.strip() in {"app1", "app2"}, done
    mode = lab.exec_on("lb1", ["stat", "-c", "%a", SOCKET]).stdout.strip()
    assert mode == "600"


def test_template_slots_keep_serving_across_a_reload(lab: Lab, dns: LabDnsServer) -> None:
    """No request fails while a reload replaces the worker whose slots DNS filled.

    Measured: with an empty state file instead, this passed too (the new worker's first
    resolution comes before clients reach it), so it proves the reload, not `last`.
    """
    url = f"http://{VIP}:{CONSUL_PORT}/"
    assert wait_for(lambda: answers(lab, url, 6) == {"app1", "app2"}, 15)
    before = worker_pid(lab, "lb1")
    # What a deploy does before it reloads: save the servers' state for the new worker.
    state = runtime(lab, "lb1", "show servers state")
    lab.exec_on("lb1", ["sh", "-c", f"cat > {SERVER_STATE_FILE}"], input=state)
    load = lab.start_load(url, connections=4, duration=3, max_requests=20_000)
    lab.exec_on("lb1", [str(lab.host("lb1").haproxy_reload)])
    stats = load.result()
    assert worker_pid(lab, "lb1") != before
    assert stats["failed"] == 0 and stats["ok"] > 100, stats
    assert set(stats["backends"]) == {"app1", "app2"}, stats


def test_a_resolver_reads_the_hosts_resolv_conf(lab: Lab, dns: LabDnsServer) -> None:
    # Only the lab's DNS server knows the name, and only the hosts' resolv.conf names it.
    url = f"http://{VIP}:{RESOLV_CONF_PORT}/"
    assert wait_for(lambda: answers(lab, url, 4) == {"app3"}, 15), runtime(
        lab, "lb1", "show servers state by-resolv-conf"
    )
    for host in HOSTS:
        assert server_addresses(lab, host, "by-resolv-conf") == {"app": backend_address(3)}
