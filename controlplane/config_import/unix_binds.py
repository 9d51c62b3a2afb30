"""`bind unix@PATH` lines -> a frontend's unix-socket binds (local consumers on the host).

A frontend's unix socket keeps its path, `mode` and `accept-proxy`. With `ssl` it
terminates TLS like the frontend's VIP bind, which is what the model renders for it; a
plain socket on a TLS frontend is `tls: false`. What the model cannot hold -- a path
outside HAProxy's runtime folder (a socket replaces the file at its path, so the model
keeps them in /run/haproxy/), `user`/`group`/`uid`/`gid`, TLS on a plain frontend,
another certificate -- is reported as dropped with its line: a socket path may not stay
verbatim in `extra`, where a line cannot open sockets by path.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..model.binds import SocketMode, SocketPath
from .haproxy_reader import Line, host_path

_PATH: TypeAdapter[str] = TypeAdapter(SocketPath)
_MODE: TypeAdapter[str] = TypeAdapter(SocketMode)
# Options of the frontend's VIP bind that the model repeats on its TLS unix sockets.
_TLS_OPTIONS = frozenset({"alpn", "ssl-min-ver", "ciphers"})


def is_unix_bind(line: Line) -> bool:
    """Whether a `bind` line listens on a unix socket (`unix@PATH`, or a plain path)."""
    return len(line.words) > 1 and line.words[1].startswith(("unix@", "/"))


def unix_bind(fe: dict[str, Any], line: Line, ctx: Any) -> None:
    """Add the socket of a `bind unix@...` line to `fe["binds"]`, or report it dropped.

    Called after the frontend's network binds, so `fe["tls"]` is known.
    """
    path = line.words[1].removeprefix("unix@")
    bind: dict[str, Any] = {}
    why = _read(fe, line.words[2:], bind, ctx)
    if why is None:
        try:
            bind = {"unix_socket": _PATH.validate_python(path), **bind}
        except ValidationError:
            why = "a unix socket the model holds is a file name in /run/haproxy/"
    if why is not None:
        ctx.report.add("dropped", line.where, line.raw, why)
        return
    if "tls" in fe and not bind.pop("_ssl", False):
        bind["tls"] = False
    fe.setdefault("binds", []).append(bind)
    ctx.report.native()


def _read(fe: dict[str, Any], words: list[str], bind: dict[str, Any], ctx: Any) -> str | None:
    """Read a unix bind's options into `bind`; return why it cannot be held, or None."""
    i = 0
    while i < len(words):
        word, value = words[i], (words[i + 1] if i + 1 < len(words) else "")
        takes = 2
        if word == "mode":
            try:
                bind["mode"] = _MODE.validate_python(value)
            except ValidationError:
                return f"socket mode {value!r} is not octal permissions like 660"
        elif word == "accept-proxy":
            bind["accept_proxy"], takes = True, 1
        elif word == "ssl":
            if "tls" not in fe:
                return "TLS on a unix socket of a frontend whose VIP bind has none"
            bind["_ssl"], takes = True, 1
        elif word == "crt" and not _served(fe, value, ctx):
            return f"certificate {value} is not the frontend's: the socket would serve those"
        elif word not in ("crt", *_TLS_OPTIONS):
            return f"bind option {word!r}"
        i += takes
    return None


def _served(fe: dict[str, Any], path: str, ctx: Any) -> bool:
    """Whether the frontend's TLS already serves the certificate at `path`."""
    tls = fe.get("tls", {})
    base = ctx.crt_base if not path.startswith("/") else ""
    full = host_path(f"{base}/{path}" if base else path)
    ref = ctx.files.get(full)
    return full == tls.get("certificate") or (
        ref is not None and ref.name in tls.get("certificates", [])
    )
