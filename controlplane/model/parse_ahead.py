"""Parse a model file in a second process while this one imports the model classes.

`lbctl validate` / `lbctl render` spend their first part importing pydantic and building the
model classes (about 0.2 s of CPU at 50,000 servers) and the next parsing the YAML (about
0.35 s): neither needs the other, so on a machine with two cores the parse runs in a forked
child at start-up (`start`) and the loader takes its result (`take`) when it gets there.

The result is the child's own `parse_document` of the same bytes under the same source
name, so it is the value the loader would have computed: the child sends the sha256 of the
bytes it parsed, and `take` uses its result only when the bytes the loader read hash the
same. Only a successful parse is sent (marshal: dicts, lists, strings, numbers, booleans and
None, types and order kept); on any failure the child sends nothing and the loader parses
the file itself, so every error message is the loader's own.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import hashlib
import marshal
import os
import signal
from pathlib import Path
from typing import Any

from .document import parse_document

# Below this, parsing takes a few milliseconds: a second process would cost more than it saves.
MIN_BYTES = 256 * 1024
DISABLE_ENV = "LBCTL_PARSE_AHEAD"  # "0": parse in the process that validates, as before
_DIGEST_BYTES = 32

# source name -> (child pid, read end of its pipe)
_pending: dict[str, tuple[int, int]] = {}


def start(path: str) -> bool:
    """Start parsing `path` in a child process; return whether one was started.

    Call it before the expensive imports, while this process runs one thread (fork).
    """
    source = str(Path(path))
    if os.environ.get(DISABLE_ENV) == "0" or source in _pending or not _worth_it(source):
        return False
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: parse, send, exit without running the parent's exit code
        try:
            os.close(read_end)
            _parse_and_send(source, write_end)
        finally:
            os._exit(0)
    os.close(write_end)
    _pending[source] = (pid, read_end)
    if len(_pending) == 1:
        atexit.register(_abandon_all)
    return True


def take(raw: bytes, source: str) -> dict[str, Any] | None:
    """Return the child's parse of `raw` read as `source`, or None to parse it here."""
    entry = _pending.pop(source, None)
    if entry is None:
        return None
    pid, read_end = entry
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _reap(pid)
    if payload[:_DIGEST_BYTES] != hashlib.sha256(raw).digest():
        return None  # failed, or the file changed between the two reads
    try:
        data = marshal.loads(payload[_DIGEST_BYTES:])
    except (EOFError, ValueError, TypeError):  # cut short: the child was stopped mid-write
        return None
    return data if isinstance(data, dict) else None


def _worth_it(source: str) -> bool:
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return False
    try:
        return os.stat(source).st_size >= MIN_BYTES
    except OSError:
        return False  # the command reports it


def _parse_and_send(source: str, write_end: int) -> None:
    """In the child: send sha256(bytes) + marshal(document), or nothing on any failure."""
    payload = b""
    with contextlib.suppress(BaseException):
        gc.disable()  # the parse builds objects that live until exit (cli/one_shot.py)
        raw = Path(source).read_bytes()
        data = parse_document(raw, source)
        payload = hashlib.sha256(raw).digest() + marshal.dumps(data)
    with contextlib.suppress(OSError), os.fdopen(write_end, "wb") as pipe:
        pipe.write(payload)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _abandon_all() -> None:
    """At exit (help, a usage error, a failure before loading): stop the children not taken."""
    while _pending:
        _, (pid, read_end) = _pending.popitem()
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        os.close(read_end)
        _reap(pid)
