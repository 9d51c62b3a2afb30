"""Listen addresses of a frontend beyond its pair's VIP: `binds`.

A frontend always listens on its VIP (`vip` + `port`); `binds` adds more listeners: other
addresses and ports, every IPv4 address (`*`), IPv6 addresses (`::` for all of them), and
unix sockets for consumers on the LB host itself, each optionally expecting the PROXY
protocol. `bind_errors` and `bind_warnings` are the cross-object rules, called by
`rules.check_model`; they look at what each LB host listens on, since a host serves the
frontends of every pair it belongs to.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, model_validator

from ..errors import FieldError
from .base import Port, Strict

if TYPE_CHECKING:
    from .schema import Frontend, LbModel, VipPair

MAX_BINDS = 64
ALL_IPV4 = "*"
ALL_ADDRESSES = "::"  # IPv6's any address; Linux also gives it IPv4 unless v6only
_SHOWN_CHARS = 60


def _check_bind_address(value: str) -> str:
    if value == ALL_IPV4:
        return value
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        text = repr(value) if len(repr(value)) <= _SHOWN_CHARS else repr(value)[:57] + "..."
        raise ValueError(
            f"must be '*', '::', an IPv4 address like 198.18.0.100 or an IPv6 address like "
            f"2001:db8::10, got {text}"
        ) from None
    if address.is_multicast:
        raise ValueError(f"must not be a multicast address, got {value!r}")
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        raise ValueError(f"must not have a zone index ('%...'), got {value!r}")
    if isinstance(address, ipaddress.IPv4Address) and address.is_unspecified:
        return ALL_IPV4  # 0.0.0.0 is what '*' means
    return str(address)


BindAddress = Annotated[
    str,
    Field(description="'*' (every IPv4 address), '::' (every address), or an IPv4/IPv6 address"),
    AfterValidator(_check_bind_address),
]

_MODE = re.compile(r"0?[0-7]{3}")


def _check_mode(value: str) -> str:
    if not _MODE.fullmatch(value):
        raise ValueError(f"must be octal permissions like '660' (quoted), got {value[:20]!r}")
    return value


SocketMode = Annotated[
    str,
    Field(description="octal permissions of the socket file, e.g. '660'"),
    AfterValidator(_check_mode),
]


# HAProxy creates a unix socket by binding a temporary name and renaming it over the path,
# so a socket path replaces whatever file was there: only a name in HAProxy's own runtime
# folder, and never lbctl's runtime API socket (host_paths.ADMIN_SOCKET).
SOCKET_FOLDER = "/run/haproxy/"
_SOCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_TAKEN_SOCKETS = frozenset({"admin.sock"})


def _check_socket_path(value: str) -> str:
    name = value.removeprefix(SOCKET_FOLDER)
    if name == value or not _SOCKET_NAME.fullmatch(name) or name.endswith(".tmp"):
        text = repr(value) if len(repr(value)) <= _SHOWN_CHARS else repr(value)[:57] + "..."
        raise ValueError(
            f"must be a file name in {SOCKET_FOLDER} (letters, digits, '.', '_', '-'), "
            f"e.g. {SOCKET_FOLDER}web.sock, got {text}"
        )
    if name in _TAKEN_SOCKETS:
        raise ValueError(f"{value} is lbctl's runtime API socket; choose another name")
    return value


SocketPath = Annotated[
    str,
    Field(description=f"unix socket path: a file name in {SOCKET_FOLDER}, e.g. web.sock"),
    AfterValidator(_check_socket_path),
]


class Bind(Strict):
    """One more listener of a frontend: an address and port, or a unix socket."""

    address: BindAddress | None = None
    port: Port | None = None
    unix_socket: SocketPath | None = Field(
        None, description="unix socket on the LB host for local consumers, in /run/haproxy/"
    )
    mode: SocketMode | None = Field(None, description="unix socket permissions, e.g. '660'")
    accept_proxy: bool = Field(
        False, description="expect the PROXY protocol header (v1 or v2) from the client"
    )
    tls: bool = Field(
        True,
        description="terminate TLS here like the VIP bind when the frontend has tls; "
        "false for a plain listener",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Bind:
        if self.unix_socket is not None:
            network = [f for f in ("address", "port") if getattr(self, f) is not None]
            if network:
                raise ValueError(f"a unix_socket bind has no {' or '.join(network)}")
        elif self.address is None or self.port is None:
            raise ValueError("needs address and port, or unix_socket")
        elif self.mode is not None:
            raise ValueError("mode applies to a unix_socket bind only")
        return self


def bind_endpoint(bind: Bind) -> str:
    """Return what HAProxy's `bind` reads: `*:80`, `198.18.0.100:80`, `[::]:443`, `unix@PATH`."""
    if bind.unix_socket is not None:
        return f"unix@{bind.unix_socket}"
    address = bind.address or ALL_IPV4
    host = f"[{address}]" if ":" in address else address
    return f"{host}:{bind.port}"


@dataclass(frozen=True)
class _Listener:
    """Something listening on an LB host: a frontend's VIP bind or bind, or lbctl's own."""

    owner: str  # "frontends[web]" or "lbctl's monitor listener"
    frontend: str  # "" for lbctl's listeners
    path: str  # field path of the model's value; "" when not from `binds`
    address: str  # "*", "::", an address, or "unix@PATH"
    port: int

    @property
    def from_binds(self) -> bool:
        return ".binds[" in self.path


def _listeners(model: LbModel) -> dict[str, list[_Listener]]:
    """Return, per LB host, every listener lbctl renders there, in file order."""
    from .rules import frontend_vip  # rules.py imports this module

    pairs = {p.name: p for p in model.vip_pairs}
    s = model.settings
    hosts: dict[str, list[_Listener]] = {
        h.name: [
            _Listener("lbctl's monitor listener", "", "", s.admin_address, s.monitor_port),
            _Listener("lbctl's metrics listener", "", "", s.admin_address, s.metrics_port),
        ]
        for h in model.lb_hosts
    }
    for fe in model.frontends:
        pair = pairs.get(fe.vip_pair)
        if pair is None:
            continue
        owner = f"frontends[{fe.name}]"
        mine = [_Listener(owner, fe.name, "", frontend_vip(fe, pair), fe.port)]
        for i, bind in enumerate(fe.binds):
            address = f"unix@{bind.unix_socket}" if bind.unix_socket else bind.address or ""
            mine.append(_Listener(owner, fe.name, f"{owner}.binds[{i}]", address, bind.port or 0))
        for host in dict.fromkeys(pair.hosts):
            hosts.setdefault(host, []).extend(mine)
    return hosts


def _covers(wildcard: str, address: str) -> bool:
    """Return whether a wildcard listener also takes connections to `address`."""
    if address.startswith("unix@") or address == wildcard:
        return False
    if wildcard == ALL_IPV4:
        return address != ALL_ADDRESSES and ":" not in address
    return wildcard == ALL_ADDRESSES


def bind_errors(model: LbModel) -> Iterator[FieldError]:
    """Yield binds that clash: the same address and port (or socket) twice on one host."""
    reported: set[str] = set()
    for host, listeners in _listeners(model).items():
        first: dict[tuple[str, int], _Listener] = {}
        for listener in listeners:
            earlier = first.setdefault((listener.address, listener.port), listener)
            if earlier is listener:
                continue
            # Two VIP binds (or a VIP bind and lbctl's listeners) are rules.py's to report.
            shown, other = (listener, earlier) if listener.from_binds else (earlier, listener)
            if not shown.from_binds or shown.path in reported:
                continue
            reported.add(shown.path)
            where = (
                shown.address
                if shown.address.startswith("unix@")
                else f"{shown.address} port {shown.port}"
            )
            if other.frontend == shown.frontend:
                what = other.path.rsplit(".", 1)[-1] if other.path else "VIP bind"
                yield FieldError(shown.path, f"{where} is already this frontend's {what}")
            else:
                yield FieldError(shown.path, f"{where} is already bound by {other.owner} on {host}")


def bind_warnings(model: LbModel) -> Iterator[FieldError]:
    """Yield binds that may not do what was meant: overlaps, addresses a host may lack."""
    reported: set[str] = set()
    for host, listeners in _listeners(model).items():
        for wide in (ln for ln in listeners if ln.address in (ALL_IPV4, ALL_ADDRESSES)):
            for other in listeners:
                if other.port != wide.port or other.frontend == wide.frontend:
                    continue
                if not _covers(wide.address, other.address):
                    continue
                shown = other if other.from_binds else wide
                if not shown.from_binds or shown.path in reported:
                    continue
                reported.add(shown.path)
                yield FieldError(
                    shown.path,
                    f"{wide.address} port {wide.port} of {wide.owner} overlaps "
                    f"{other.address} port {other.port} of {other.owner} on {host}: the more "
                    "specific address takes its connections, the other the rest",
                )
    pairs = {p.name: p for p in model.vip_pairs}
    for fe in model.frontends:
        pair = pairs.get(fe.vip_pair)
        if pair is not None:
            yield from _foreign_addresses(fe, pair)


def _foreign_addresses(fe: Frontend, pair: VipPair) -> Iterator[FieldError]:
    from .rules import vip_address  # rules.py imports this module

    vips = {vip_address(v) for v in pair.vips}
    for i, bind in enumerate(fe.binds):
        address = bind.address
        if address is None or address in (ALL_IPV4, ALL_ADDRESSES) or address in vips:
            continue
        if ipaddress.ip_address(address).is_loopback:
            continue
        yield FieldError(
            f"frontends[{fe.name}].binds[{i}].address",
            f"{address} is not a VIP of vip_pairs[{pair.name}], nor '*' or loopback: a host "
            f"of the pair ({', '.join(pair.hosts)}) that lacks it gets no traffic there",
        )
