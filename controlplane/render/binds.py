"""A frontend's `bind` lines after its VIP's: the model's `binds`, in order."""

from __future__ import annotations

from ..model import Frontend
from ..model.binds import bind_endpoint


def frontend_binds(fe: Frontend, tls_options: str) -> list[str]:
    """Return one `bind` line (after the keyword) per entry of `fe.binds`.

    `tls_options` is what follows the address on the VIP's bind (`ssl crt ... alpn ...`,
    empty without TLS): a bind with `tls: true` (the default) terminates TLS the same way.
    """
    lines = []
    for bind in fe.binds:
        line = bind_endpoint(bind)
        if bind.mode is not None:
            line += f" mode {bind.mode}"
        if bind.tls and tls_options:
            line += f" {tls_options}"
        if bind.accept_proxy:
            line += " accept-proxy"
        lines.append(line)
    return lines
