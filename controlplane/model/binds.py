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
from .types import shown

if TYPE_CHECKING:
    from .schema import Frontend, LbModel, VipPair

MAX_BINDS = 64
ALL_IPV4 = "*"
ALL_ADDRESSES = "::"  # IPv6's any address; Linux also gives it IPv4 unless v6only


def _check_bind_address(value: str) -> str:
    if value == ALL_IPV4:
        return value
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(
            f"must be '*', '::', an IPv4 address like 198.18.0.100 or an IPv6 address like "
            f"2001:db8::10, got {shown(value)}"
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
        raise ValueError(
            f"must be a file name in {SOCKET_FOLDER} (letters, digits, '.', '_', '-'), "
            f"e.g. {SOCKET_FOLDER}web.sock, got {shown(value)}"
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
    from_binds: bool = False


def _listeners(model: LbModel) -> dict[str, list[_Listener]]:
    """Return, per group of LB hosts in the same pairs, every listener rendered there.

    Hosts that belong to the same pairs listen on the same things, so each group is
    checked once, under the name of its first host. Empty when no frontend has binds: the
    VIP binds alone are rules.py's to check.
    """
    from .rules import frontend_vip  # rules.py imports this module

    if not any(fe.binds for fe in model.frontends):
        return {}
    pairs = {p.name: p for p in model.vip_pairs}
    memberships: dict[str, list[str]] = {h.name: [] for h in model.lb_hosts}
    for member_of in model.vip_pairs:
        for host in dict.fromkeys(member_of.hosts):
            memberships.setdefault(host, []).append(member_of.name)
    groups: dict[tuple[str, ...], str] = {}
    for host, names in memberships.items():
        groups.setdefault(tuple(names), host)
    by_pair: dict[str, list[_Listener]] = {name: [] for name in pairs}
    for fe in model.frontends:
        pair = pairs.get(fe.vip_pair)
        if pair is None:
            continue
        owner = f"frontends[{fe.name}]"
        mine = by_pair[pair.name]
        mine.append(_Listener(owner, fe.name, "", frontend_vip(fe, pair), fe.port))
        for i, bind in enumerate(fe.binds):
            address = f"unix@{bind.unix_socket}" if bind.unix_socket else bind.address or ""
            path = f"{owner}.binds[{i}]"
            mine.append(_Listener(owner, fe.name, path, address, bind.port or 0, True))
    s = model.settings
    admin = [
        _Listener("lbctl's monitor listener", "", "", s.admin_address, s.monitor_port),
        _Listener("lbctl's metrics listener", "", "", s.admin_address, s.metrics_port),
    ]
    return {
        host: admin + [ln for name in names for ln in by_pair[name]]
        for names, host in groups.items()
    }


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
        by_port: dict[int, list[_Listener]] = {}
        for listener in listeners:
            if not listener.address.startswith("unix@"):
                by_port.setdefault(listener.port, []).append(listener)
        for group in by_port.values():
            yield from _overlaps(host, group, reported)
    pairs = {p.name: p for p in model.vip_pairs}
    for fe in model.frontends:
        pair = pairs.get(fe.vip_pair)
        if pair is not None:
            yield from _foreign_addresses(fe, pair)


def _overlaps(host: str, group: list[_Listener], reported: set[str]) -> Iterator[FieldError]:
    """Yield a warning per bind that a wildcard of another frontend overlaps, on one port.

    Linear in the group: for each wildcard kind, the first two wildcards of different
    frontends are enough to find one that is not the other listener's own.
    """
    for wildcard in (ALL_IPV4, ALL_ADDRESSES):
        wides: list[_Listener] = []
        for listener in group:
            if listener.address == wildcard and all(w.frontend != listener.frontend for w in wides):
                wides.append(listener)
                if len(wides) == 2:
                    break
        if not wides:
            continue
        for other in group:
            if not _covers(wildcard, other.address):
                continue
            wide = next((w for w in wides if w.frontend != other.frontend), None)
            if wide is None:
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
