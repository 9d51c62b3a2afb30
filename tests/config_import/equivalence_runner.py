"""Serve one haproxy.cfg in a private network and mount namespace, ask it, print the answers.

Run as `unshare --net --mount --propagation private -- python equivalence_runner.py SPEC`
(root). SPEC (JSON) names the config, the files to place at their absolute paths, the
addresses to put on loopback, the backend servers (address, port) and the requests. Every
backend answers any request with `X-Served-By: ADDRESS:PORT`, so the answer says which
server HAProxy chose; requests go out once every health check has settled (read through
the master CLI). Everything started here is stopped by pid before the runner exits;
the namespaces go with it.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_PRIVATE = ("/run/haproxy", "/var/lib/haproxy", "/etc/haproxy")
_WAIT_S = 10.0
# Longest wait for health checks to settle: a server that failed its first check under load
# comes back after `rise` good checks at `downinter` (10 s in the corpus at most).
_SETTLE_S = 25.0


class _Backend(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        me = f"{self.server.server_address[0]}:{self.server.server_address[1]}"  # type: ignore[index]
        body = me.encode()
        self.send_response(200)
        self.send_header("X-Served-By", me)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _answer

    def parse_request(self) -> bool:
        # A line that is not an HTTP request is a TCP health check's `send` (Redis-style
        # PING, AUTH, info replication, QUIT): one answer satisfies every usual `expect
        # string`, so servers stay up as they would in front of a real Redis, and whether
        # a server is up never depends on when a check first ran.
        if self.raw_requestline.startswith(b"PROXY "):
            # A `send-proxy` server: the PROXY protocol line comes first, then the request.
            self.raw_requestline = self.rfile.readline(65537)
        words = self.raw_requestline.split()
        if words and (len(words) != 3 or not words[2].startswith(b"HTTP/")):
            self.wfile.write(b"+OK\r\n+PONG\r\nrole:master\r\n")
            self.wfile.flush()
            self.close_connection = False
            return False
        return super().parse_request()

    def log_message(self, *args: object) -> None:
        pass


def _start_backends(servers: list[list]) -> list[ThreadingHTTPServer]:
    started = []
    for address, port in servers:
        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer((address, int(port)), _Backend)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
    return started


def _wait_listening(address: str, port: int) -> bool:
    deadline = time.monotonic() + _WAIT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@functools.cache
def _client_tls() -> ssl.SSLContext:
    # One context for every request: building one loads the system CA store, measured at
    # 0.05-0.2 s each, most of a TLS case's time when each request built its own.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _servers(master_socket: str) -> list[dict[str, str]] | None:
    """Return the worker's servers (`show stat` rows) through the master CLI, or None."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(3)
        conn.connect(master_socket)
        # The master CLI keeps a connection open for more commands until told `quit`.
        conn.sendall(b"@1 show stat; quit\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    lines = b"".join(chunks).decode().splitlines()
    if not lines or not lines[0].startswith("# "):
        return None  # the worker is not up yet
    names = lines[0][2:].split(",")
    rows = [dict(zip(names, line.split(","), strict=False)) for line in lines[1:] if line]
    return [r for r in rows if r.get("svname") not in ("FRONTEND", "BACKEND")]


def _unsettled(row: dict[str, str]) -> bool:
    # "INI": the first check has not run; "UP 1/2", "DOWN 1/2": between states; "* ": a check
    # is running. A server that stays DOWN after its checks have run is settled: it is down
    # in both configs alike.
    check = row.get("check_status", "")
    return check.lstrip("* ").startswith("INI") or "/" in row.get("status", "")


def _wait_settled(master_socket: str) -> None:
    deadline = time.monotonic() + _SETTLE_S
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            rows = _servers(master_socket)
            if rows is not None and not any(_unsettled(r) for r in rows):
                return
        time.sleep(0.05)


def _ask(request: dict, repeats: int) -> dict:
    served: set[str] = set()
    status = location = None
    for _ in range(repeats):
        try:
            if request["tls"]:
                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    request["address"], request["port"], timeout=3, context=_client_tls()
                )
            else:
                conn = http.client.HTTPConnection(request["address"], request["port"], timeout=3)
            headers = {"Host": request["host"], **request.get("headers", {})}
            conn.request(request["method"], request["path"], headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            location = response.getheader("Location")
            by = response.getheader("X-Served-By")
            if by:
                served.add(by)
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            status = f"error: {type(exc).__name__}"
    return {"status": status, "served": sorted(served), "location": location}


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for address in spec["addresses"]:
        subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"], check=True)
    for folder in _PRIVATE:
        os.makedirs(folder, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", folder], check=True)
    shutil.chown("/run/haproxy", "haproxy", "haproxy")
    for target, source in spec["files"].items():
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    backends = _start_backends(spec["servers"])
    pidfile = Path(spec["workdir"]) / "haproxy.pid"
    master_socket = str(Path(spec["workdir"]) / "master.sock")
    proc = subprocess.run(
        # -n: HAProxy wants 2 descriptors per connection of maxconn, and this machine's
        # hard limit is 20,000; the same cap for both configs keeps the comparison fair.
        # -W -S: a master CLI, so server states can be read without touching the config.
        [
            "haproxy",
            "-W",
            "-S",
            master_socket,
            "-D",
            "-n",
            "2000",
            "-p",
            str(pidfile),
            "-f",
            spec["config"],
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    answers: list[dict] = []
    try:
        if proc.returncode != 0:
            print(json.dumps({"error": proc.stderr[-2000:]}))
            return
        for address, port in spec["listeners"]:
            _wait_listening(address, int(port))
        # Ask only once every health check has had its say: a server whose first check
        # failed under load would otherwise answer in one config and not in the other.
        _wait_settled(master_socket)
        answers = [_ask(r, spec.get("repeats", 4)) for r in spec["requests"]]
        print(json.dumps({"answers": answers}))
    finally:
        if pidfile.exists():
            # SIGTERM: a master-worker master stops its workers too.
            for pid in pidfile.read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGTERM)
        for backend in backends:
            backend.shutdown()


if __name__ == "__main__":
    main()
