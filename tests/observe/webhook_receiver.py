"""A real HTTP webhook for tests: records each JSON body, answers scripted status codes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: str, answers: list[int]) -> None:
        super().__init__((address, 0), _Handler)
        self.answers = list(answers)  # status per request in order; then 200
        self.received: list[dict[str, Any]] = []  # every request's body, answered or not
        self.accepted: list[dict[str, Any]] = []  # bodies answered 2xx
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/hook"

    def wait_for(self, count: int, seconds: float) -> list[dict[str, Any]]:
        """Return the accepted bodies once there are `count` (or all there are after `seconds`)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(self.accepted) < count:
            time.sleep(0.02)
        return list(self.accepted)


class _Handler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with self.server.lock:
            status = self.server.answers.pop(0) if self.server.answers else 200
            self.server.received.append(body)
            if status < 300:
                self.server.accepted.append(body)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def webhook_receiver(
    address: str = "127.0.0.1", answers: list[int] | None = None
) -> Iterator[WebhookReceiver]:
    """Serve a webhook on `address` (a free port) until the block ends."""
    server = WebhookReceiver(address, answers or [])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
