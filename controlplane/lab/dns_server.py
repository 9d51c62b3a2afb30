"""A real DNS server for tests: dnsmasq in a lab namespace, serving the records a test sets.

dnsmasq runs in the foreground (`--keep-in-foreground`), started and stopped by its pid
(also when the test fails), with no upstream (`--no-resolv`) and not this machine's
/etc/hosts (`--no-hosts`): it answers only the test's A records (a hosts file of its
own) and SRV records (the config file's `srv-host` lines, the shape Consul's DNS
interface answers: `_service._tcp.NAME` -> target host and port, with the targets' A
records in the same answer). `set_address` rewrites the hosts file and sends SIGHUP,
which makes dnsmasq read it again: a record change without restarting the server.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import LabError

DNSMASQ = "/usr/sbin/dnsmasq"
START_TIMEOUT_S = 10.0
_NAME = re.compile(r"(_?[A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}")


@dataclass(frozen=True)
class SrvRecord:
    """One SRV answer: `target` (a name with an A record) serves on `port`."""

    target: str
    port: int
    priority: int = 0
    weight: int = 10


@dataclass
class LabDnsServer:
    """A running dnsmasq: where it listens, its pid, and the A records it serves."""

    address: str
    port: int
    pid: int
    hosts_file: Path
    records: dict[str, str]

    def set_address(self, name: str, address: str) -> None:
        """Make `name` answer `address` from now on: rewrite the hosts file, then SIGHUP."""
        self.records[_checked_name(name)] = str(ipaddress.IPv4Address(address))
        _write_hosts(self.hosts_file, self.records)
        os.kill(self.pid, signal.SIGHUP)


@contextlib.contextmanager
def running_dns(
    workdir: Path,
    namespace: str,
    address: str,
    a_records: Mapping[str, str],
    srv_records: Mapping[str, list[SrvRecord]] | None = None,
    port: int = 53,
) -> Iterator[LabDnsServer]:
    """Run dnsmasq in network namespace `namespace` on `address`:`port` until the block ends."""
    if not os.access(DNSMASQ, os.X_OK):
        raise LabError("dnsmasq is not installed (apt-get install dnsmasq-base)")
    ipaddress.IPv4Address(address)
    workdir.mkdir(parents=True, exist_ok=True)
    records = {_checked_name(n): str(ipaddress.IPv4Address(a)) for n, a in a_records.items()}
    hosts_file = workdir / "dns-hosts"
    _write_hosts(hosts_file, records)
    config = workdir / "dnsmasq.conf"
    config.write_text(_config(address, port, hosts_file, srv_records or {}))
    log_path = workdir / "dnsmasq.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            # `ip netns exec` execs dnsmasq: the pid is dnsmasq's own.
            [
                "ip",
                "netns",
                "exec",
                namespace,
                DNSMASQ,
                "--keep-in-foreground",
                f"--conf-file={config}",
            ],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
    try:
        server = LabDnsServer(address, port, process.pid, hosts_file, records)
        _wait_until_answering(server, process, namespace, next(iter(records)), log_path)
        yield server
    finally:
        _stop(process)


def _config(
    address: str, port: int, hosts_file: Path, srv_records: Mapping[str, list[SrvRecord]]
) -> str:
    lines = [
        f"port={port}",
        f"listen-address={address}",
        "bind-interfaces",
        "no-resolv",  # no upstream: a name the test did not set is NXDOMAIN, never asked on
        "no-hosts",  # not this machine's /etc/hosts
        f"addn-hosts={hosts_file}",
        "user=root",  # reads the test's hosts file again on SIGHUP, in a root-only folder
        "pid-file=",  # no pid file: the test holds the pid
        "log-queries",
        "log-facility=-",
    ]
    for name, answers in srv_records.items():
        for srv in answers:
            target = _checked_name(srv.target)
            lines.append(
                f"srv-host={_checked_name(name)},{target},{srv.port},{srv.priority},{srv.weight}"
            )
    return "\n".join(lines) + "\n"


def _write_hosts(path: Path, records: Mapping[str, str]) -> None:
    staged = path.with_suffix(".new")
    staged.write_text("".join(f"{address} {name}\n" for name, address in records.items()))
    staged.replace(path)  # dnsmasq never reads a half-written file


def _checked_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a DNS name: {name!r}")
    return name.lower()


def _wait_until_answering(
    server: LabDnsServer,
    process: subprocess.Popen[bytes],
    namespace: str,
    name: str,
    log_path: Path,
) -> None:
    """Return once dnsmasq answers an A query for `name`, asked from inside `namespace`."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        probe = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                namespace,
                "python3",
                "-c",
                _PROBE,
                server.address,
                str(server.port),
                name,
            ],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if probe.returncode == 0:
            return
        time.sleep(0.05)
    raise LabError(f"dnsmasq did not start answering; see {log_path}")


# One A query over UDP; exit 0 when an answer came back. A tiny script so the wait needs
# no DNS tool installed in the namespace.
_PROBE = """
import socket, struct, sys
address, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
query = struct.pack(">HHHHHH", 0x4C42, 0x0100, 1, 0, 0, 0)
query += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\\0"
query += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(query, (address, port))
answer = s.recv(512)
sys.exit(0 if struct.unpack(">H", answer[6:8])[0] > 0 else 1)
"""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End dnsmasq by its pid: SIGTERM, then SIGKILL after a grace."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
