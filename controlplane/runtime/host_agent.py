"""The runtime agent's program, as it runs on an LB host: one JSON request per stdin line.

lbctl never imports this module (its `lbctl_host` import exists only on a host); agent.py
sends its text to each host, where it runs as `python3 -c PROGRAM` over one SSH session
and ends when the session's stdin closes. It is a module so that ruff, mypy and the tests
read it like the rest of the package.

PROGRAM is one text, two shipped files and a line between them (agent.program() joins them):

1. playbooks/module_utils/lbctl_host.py, the standard-library helpers the Ansible modules
   run on the hosts, which holds `atomic_write`;
2. a line that registers that running program as the module `lbctl_host`;
3. this file, whose `from lbctl_host import atomic_write` therefore finds the function
   defined earlier in the same program.

So a host runs one copy of atomic_write, the one its Ansible modules run, and needs nothing
but Python's standard library. mypy checks the import against the real file: it reads
playbooks/module_utils, where lbctl_host is a top-level module.

Two rules follow from the joining, and tests/runtime/test_host_agent.py checks both: this
file has no `from __future__` import (it would not come first in PROGRAM; lbctl_host.py's
does, and covers this part too), and it defines no name lbctl_host.py defines.
"""

import json
import socket
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from lbctl_host import StepFailed, atomic_write, rotate_in_place


def ask(path: str, script: str, timeout: float) -> str:
    """Return what the UNIX socket at `path` answered to `script`, once it closed."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except OSError as exc:
            if exc.errno is None:  # a timeout
                raise
            # connect() names no file: say which socket is missing or refused.
            raise OSError(exc.errno, exc.strerror, path) from None
        sock.sendall(script.encode())
        chunks: list[bytes] = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks).decode(errors="replace")
            chunks.append(chunk)


def install(path: str, content: str, mode: int) -> None:
    """Write `content` to `path` atomically: HAProxy or a reader sees old or new, never half."""
    atomic_write(path, content.encode(), mode)


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """Return the answer to one request; a failure is an answer too, never an exit."""
    try:
        op = request["op"]
        if op == "ask":
            return {
                "ok": True,
                "text": ask(request["socket"], request["script"], request["timeout"]),
            }
        if op == "install":
            install(request["path"], request["content"], request["mode"])
            return {"ok": True}
        if op == "rotate":
            done = rotate_in_place(
                request["socket"],
                request["files_dir"],
                {key: text.encode() for key, text in request["files"].items()},
                set(request["private"]),
                request["perms"],
                request["pending"],
            )
            return {"ok": True, **done}
        if op == "ping":
            return {"ok": True}
        return {"ok": False, "error": f"unknown request {op!r}"}
    except StepFailed as failed:
        return {"ok": False, "error": str(failed)}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def serve(requests: Iterable[str], answers: TextIO) -> None:
    """Answer each request line with one JSON line, flushed, until the requests end."""
    for line in requests:
        answers.write(json.dumps(answer(json.loads(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
