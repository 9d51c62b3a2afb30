"""A small helper on each LB host, kept running over one SSH session, for runtime changes.

Each SSH session costs 100-300 ms to open even through a ControlMaster (sshd forks and sets
up a session, then the remote command starts): too slow for a drain that should take
effect on both hosts within 300 ms. The agent is started once per host and reads one JSON
request per line on stdin, so a change costs one write and one network round trip.

It opens HAProxy's admin socket anew for every request, so after a reload it talks to the
new worker, never to an old one that is finishing its connections. Its program is
host_agent.py run together with the Ansible modules' lbctl_host.py (see `program()`):
nothing but Python's standard library, which every host that Ansible manages already has.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import selectors
import subprocess
import threading
import time
from importlib import resources
from typing import Any

from ..paths import playbooks_dir
from .ssh import SshChannel, SshFailed

# Between lbctl_host.py and host_agent.py in the program: the running program (__main__ under
# `python3 -c`) becomes the module `lbctl_host`, so host_agent.py's import finds the helpers.
_REGISTER_HELPERS = """
import sys
sys.modules["lbctl_host"] = sys.modules[__name__]
"""

_CLOSE_WAIT_S = 2.0


@functools.cache
def program() -> str:
    """Return the agent's program for `python3 -c`: lbctl_host.py, then host_agent.py.

    host_agent.py's docstring says why the two files are joined and what that asks of them.
    """
    helpers = (playbooks_dir() / "module_utils" / "lbctl_host.py").read_text()
    agent = resources.files(__package__).joinpath("host_agent.py").read_text()
    return helpers + _REGISTER_HELPERS + agent


class HostAgent:
    """The agent on one host: started on first use, restarted once when its session broke."""

    def __init__(self, channel: SshChannel) -> None:
        self.channel = channel
        self._process: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._lock = threading.Lock()  # one request at a time per host

    @property
    def host(self) -> str:
        return self.channel.target.name

    def ask(self, socket_path: str, script: str, timeout_s: float) -> str:
        """Return what HAProxy's admin socket answered to `script` (one connection)."""
        request = {"op": "ask", "socket": socket_path, "script": script, "timeout": timeout_s}
        return str(self._request(request, timeout_s)["text"])

    def install(self, path: str, content: str, timeout_s: float, mode: int = 0o640) -> None:
        """Write `content` to `path` on the host atomically (temporary file, then rename)."""
        self._request({"op": "install", "path": path, "content": content, "mode": mode}, timeout_s)

    def rotate(
        self,
        socket_path: str,
        files_dir: str,
        files: dict[str, str],
        private: set[str],
        perms: dict[str, Any],
        pending: str,
        timeout_s: float,
    ) -> dict[str, Any]:
        """Replace deployed files' contents through HAProxy's runtime API, no reload.

        The host writes them as a new version of files_dir too (see lbctl_host's
        `rotate_in_place`); the answer has the worker pid and each certificate's served
        SHA-1 fingerprint. The request holds private keys: it goes over the SSH session's
        stdin only, never a command line, and an error names files, never their content.
        """
        request = {
            "op": "rotate",
            "socket": socket_path,
            "files_dir": files_dir,
            "files": files,
            "private": sorted(private),
            "perms": perms,
            "pending": pending,
        }
        return self._request(request, timeout_s)

    def ping(self, timeout_s: float) -> None:
        """Start the agent now, so the first change is as fast as the next."""
        self._request({"op": "ping"}, timeout_s)

    def _request(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        line = (json.dumps(request) + "\n").encode()
        with self._lock:
            # A session that broke since the last request (idle timeout, host restarted) is
            # started again once. Every request is idempotent: set a state, write a file, set
            # files to given contents.
            for attempt in (1, 2):
                try:
                    answer = self._exchange(line, timeout_s)
                    break
                except _SessionBroken as broken:
                    reason = self._stop()
                    if attempt == 2:
                        detail = f"{broken}{': ' + reason if reason else ''}"
                        raise SshFailed(self.host, detail) from None
        if not answer.get("ok"):
            raise SshFailed(self.host, str(answer.get("error", "the agent failed")))
        return answer

    def _exchange(self, line: bytes, timeout_s: float) -> dict[str, Any]:
        process = self._running()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(line)
            process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _SessionBroken("the SSH session to the agent ended") from None
        deadline = time.monotonic() + timeout_s
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self._stop()
                    raise SshFailed(self.host, f"no answer within {timeout_s:.0f}s")
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    raise _SessionBroken("the SSH session to the agent ended")
                self._buffer += chunk
        answer, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(answer)

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                self.channel.command([self.channel.target.python, "-c", program()]),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            self._buffer = b""
        return self._process

    def _stop(self) -> str:
        """Stop the session (by its pid) and return the last line it wrote to stderr."""
        process, self._process = self._process, None
        if process is None:
            return ""
        if process.stdin is not None:
            # Ends the agent's loop, then ssh exits. A dead session's pipe refuses the flush.
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(_CLOSE_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        lines = [line for line in errors.strip().splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def close(self) -> None:
        with self._lock:
            self._stop()


class _SessionBroken(Exception):
    """The agent's session is gone; a new one may succeed."""
