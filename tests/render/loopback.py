"""Run rendered haproxy.cfg sections for real on loopback, with small test servers.

A model's pool (or frontend) is rendered by lbctl, its section cut out of haproxy.cfg and
run by the real haproxy beside a minimal global/defaults, with servers on 127.0.0.1:
what HAProxy then does (marks a server down, sends a PROXY header, logs a request id) is
the proof. Every process and thread started here stops when the context ends.
"""

from __future__ import annotations

import contextlib
import csv
import io
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from controlplane.check import require_tools

DEADLINE_S = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def section(cfg: str, header: str) -> str:
    """Return one section of a rendered haproxy.cfg, from its header to the next blank line."""
    start = cfg.index(f"\n{header}\n") + 1
    end = cfg.find("\n\n", start)
    return cfg[start : end if end != -1 else len(cfg)].rstrip("\n") + "\n"


@dataclass
class RunningHaproxy:
    process: subprocess.Popen[str]
    socket_path: Path
    output: list[str]

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX) as admin:
            admin.settimeout(DEADLINE_S)
            admin.connect(str(self.socket_path))
            admin.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := admin.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_status(self, backend: str) -> dict[str, str]:
        """Return server name -> status (UP, DOWN, ...) from `show stat`."""
        rows = csv.DictReader(io.StringIO(self.command("show stat").lstrip("# ")))
        return {
            r["svname"]: r["status"]
            for r in rows
            if r["pxname"] == backend and r["svname"] not in ("FRONTEND", "BACKEND")
        }

    def wait_for_status(self, backend: str, wanted: dict[str, str]) -> dict[str, str]:
        """Poll until the servers have the wanted status, or the deadline; return the last."""
        deadline = time.monotonic() + DEADLINE_S
        status = self.server_status(backend)
        while time.monotonic() < deadline and any(status.get(k) != v for k, v in wanted.items()):
            time.sleep(0.05)
            status = self.server_status(backend)
        return status

    def wait_for_output(self, needle: str) -> list[str]:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline and not any(needle in line for line in self.output):
            time.sleep(0.05)
        return [line for line in self.output if needle in line]


@contextlib.contextmanager
def haproxy(folder: Path, sections: str) -> Iterator[RunningHaproxy]:
    """Run haproxy in the foreground with `sections` after a minimal global and defaults."""
    require_tools()
    sock = folder / "admin.sock"
    sock.unlink(missing_ok=True)  # a previous run's: its presence is the readiness signal
    cfg = folder / "haproxy.cfg"
    cfg.write_text(
        "global\n"
        "    log stdout format raw local0\n"
        f"    stats socket {sock} level admin\n"
        "defaults\n"
        "    mode http\n"
        "    log global\n"
        "    timeout connect 1s\n"
        "    timeout client 5s\n"
        "    timeout server 5s\n"
        "    timeout check 1s\n\n" + sections
    )
    process = subprocess.Popen(
        ["haproxy", "-db", "-f", str(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(
        target=lambda: output.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not _answers(sock) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None and _answers(sock), "".join(output)
        yield RunningHaproxy(process, sock, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=DEADLINE_S)


def _answers(sock: Path) -> bool:
    """Return whether HAProxy accepts on its admin socket: the file appears before that
    (seen under load: connection refused right after the file existed)."""
    if not sock.exists():
        return False
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(sock))
        except (ConnectionRefusedError, FileNotFoundError):
            return False
    return True


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def tcp_server(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    """Serve `answer(connection)` for each connection on a free loopback port; yield the port."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.settimeout(DEADLINE_S)
            with contextlib.suppress(OSError):
                answer(self.request)

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=DEADLINE_S)


def http_answer(body: bytes) -> Callable[[socket.socket], None]:
    """Return a connection handler that reads one request and answers 200 with `body`."""

    def answer(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
            data += chunk
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    return answer
