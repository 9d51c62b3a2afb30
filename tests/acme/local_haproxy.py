"""A real HAProxy on loopback that answers ACME challenges the way a rendered frontend does.

For tests that need no lab: the frontend prints render/acme.py's challenge lines, the map
starts empty, and the test publishes answers through the admin socket (`add map`), as the
control plane does on an LB host.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from controlplane.render.acme import challenge_lines


@dataclass(frozen=True)
class LocalHaproxy:
    port: int
    admin_socket: Path
    map_path: Path
    pid: int

    def runtime(self, command: str) -> str:
        """Return HAProxy's answer to one runtime API command."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.admin_socket))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()


class SocketResponder:
    """A ChallengeResponder on one local HAProxy's admin socket (`add map` / `del map`)."""

    def __init__(self, haproxy: LocalHaproxy) -> None:
        self.haproxy = haproxy
        self.published: list[str] = []
        self.withdrawn: list[str] = []

    def publish(self, token: str, key_authorization: str) -> None:
        answer = self.haproxy.runtime(
            f"add map {self.haproxy.map_path} {token} {key_authorization}"
        )
        assert not answer.strip(), answer
        self.published.append(token)

    def withdraw(self, token: str) -> None:
        self.haproxy.runtime(f"del map {self.haproxy.map_path} {token}")
        self.withdrawn.append(token)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config(port: int, admin_socket: Path, map_path: Path) -> str:
    lines = "\n".join(f"    {line}" for line in challenge_lines(str(map_path)))
    return f"""global
    stats socket {admin_socket} mode 600 level admin
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:{port}
{lines}
    http-request return status 404 content-type text/plain string "not a challenge"
"""


@contextlib.contextmanager
def running_haproxy(workdir: Path) -> Iterator[LocalHaproxy]:
    """Run HAProxy in the foreground (its pid is ours to stop) until the block ends."""
    port = free_port()
    admin, map_path, cfg = workdir / "admin.sock", workdir / "acme.map", workdir / "haproxy.cfg"
    map_path.write_text("")
    cfg.write_text(config(port, admin, map_path))
    log = open(workdir / "haproxy.log", "ab")  # noqa: SIM115 -- closed in the finally
    process = subprocess.Popen(["haproxy", "-db", "-f", str(cfg)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 5
        while not admin.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        assert admin.exists(), (workdir / "haproxy.log").read_text()
        yield LocalHaproxy(port, admin, map_path, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
