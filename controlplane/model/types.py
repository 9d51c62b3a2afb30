"""Constrained value types shared by the model: names, durations, addresses, directives.

Every string that can reach a rendered config passes through one of these, so the
character sets here are what stops directive injection.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, Field

from .directives import check_directive

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
Name = Annotated[
    str,
    Field(
        pattern=NAME_PATTERN,
        description="1-63 ASCII letters, digits, '_', '.', '-'; starts with a letter or digit",
    ),
]

_DURATION = re.compile(r"([0-9]{1,9})(us|ms|s|m|h|d)")
_UNIT_MS = {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
# HAProxy refuses longer timers ("timer overflow"): a signed 32-bit count of milliseconds.
MAX_DURATION_MS = 2**31 - 1
_SHOWN_CHARS = 60


def shown(value: str) -> str:
    """Return the repr of a refused value, cut short: an error must stay one readable line."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def duration_ms(value: str) -> float:
    """Return an HAProxy-style duration string ('100ms', '2s', '1m') in milliseconds."""
    # fullmatch: a pattern ending in '$' would also accept a trailing newline.
    match = _DURATION.fullmatch(value)
    if not match:
        raise ValueError(
            "must be a number with a unit (us, ms, s, m, h, d) like 2s or 100ms, "
            f"got {shown(value)}"
        )
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def _check_duration(value: str) -> str:
    if duration_ms(value) <= 0:
        raise ValueError(f"must be greater than zero, got {value!r}")
    if duration_ms(value) > MAX_DURATION_MS:
        raise ValueError(
            f"must be at most {MAX_DURATION_MS}ms (about 24 days, HAProxy's limit), got {value!r}"
        )
    return value


Duration = Annotated[
    str,
    Field(description="HAProxy-style duration: a number and a unit (us, ms, s, m, h, d), e.g. 2s"),
    AfterValidator(_check_duration),
]


def _check_ipv4(value: str) -> str:
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"must be an IPv4 address like 198.18.0.10, got {shown(value)}") from None
    if address.is_loopback or address.is_multicast or address.is_unspecified:
        raise ValueError(f"must be a unicast, non-loopback address, got {value!r}")
    return str(address)


IPv4 = Annotated[str, Field(description="IPv4 address"), AfterValidator(_check_ipv4)]


def _check_listen_ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError(f"must be an IPv4 address like 127.0.0.1, got {shown(value)}") from None


ListenIPv4 = Annotated[
    str, Field(description="IPv4 address (loopback allowed)"), AfterValidator(_check_listen_ipv4)
]


def _check_interface(value: str) -> str:
    if value == "lo" or value.startswith("lo:"):
        raise ValueError(
            "keepalived cannot run VRRP on the loopback interface; name the LAN interface"
        )
    if value in ("all", "default"):
        # /proc/sys/net/ipv4/conf/{all,default} exist, so Linux refuses these device names.
        raise ValueError(f"Linux does not allow an interface named {value!r}")
    return value


Interface = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$",
        description="Linux interface name (1-15 characters)",
    ),
    AfterValidator(_check_interface),
]


def _check_vip(value: str) -> str:
    if ":" in value:
        return _check_ipv6_vip(value)
    try:
        interface = ipaddress.IPv4Interface(value)
    except ValueError:
        raise ValueError(
            "must be an IPv4 or IPv6 address with prefix like 198.18.0.100/24 or "
            f"2001:2::100/64, got {shown(value)}"
        ) from None
    if "/" not in value:
        raise ValueError(f"needs a prefix length like {value}/24 (keepalived would assume /32)")
    _check_ipv4(str(interface.ip))
    return str(interface)


def _check_ipv6_vip(value: str) -> str:
    if "%" in value:
        # Python keeps any text after '%' (spaces, newlines) in str(IPv6Interface(...)).
        raise ValueError(f"must not have a zone index ('%...'), got {shown(value)}")
    try:
        interface = ipaddress.IPv6Interface(value)
    except ValueError:
        raise ValueError(
            f"must be an IPv6 address with prefix like 2001:2::100/64, got {shown(value)}"
        ) from None
    if "/" not in value:
        raise ValueError(f"needs a prefix length like {value}/64 (keepalived would assume /128)")
    _check_ipv6(str(interface.ip))
    return str(interface)


def _check_ipv6(value: str) -> str:
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        raise ValueError(f"must be an IPv6 address like 2001:2::100, got {shown(value)}") from None
    if address.scope_id is not None:
        # Python takes any text after '%' (spaces, newlines): never let it reach a config.
        raise ValueError(f"must not have a zone index ('%...'), got {shown(value)}")
    if (
        address.is_loopback
        or address.is_multicast
        or address.is_unspecified
        or address.is_link_local
        or address.ipv4_mapped is not None
    ):
        raise ValueError(f"must be a global or unique-local unicast address, got {value!r}")
    return str(address)


VipCidr = Annotated[
    str,
    Field(description="VIP with prefix, e.g. 198.18.0.100/24 or 2001:2::100/64"),
    AfterValidator(_check_vip),
]


def _check_vip_address(value: str) -> str:
    return _check_ipv6(value) if ":" in value else _check_ipv4(value)


VipAddress = Annotated[
    str,
    Field(description="IPv4 or IPv6 address, e.g. 198.18.0.100 or 2001:2::100"),
    AfterValidator(_check_vip_address),
]

# Used with fullmatch: a pattern ending in '$' would also accept a trailing newline.
_HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


# A server's name may also hold '_': libc resolves such names from /etc/hosts and container
# DNS (`openvpn_tcp`, a compose service), and '_' is no syntax to a config parser.
_SERVER_HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
    r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
)


def _check_server_address(value: str) -> str:
    if _is_canonical_unicast_ipv4(value):
        return value  # the common case, without ipaddress's pure-Python parser
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        if _SERVER_HOSTNAME.fullmatch(value) and not value.replace(".", "").isdigit():
            return value.lower()
        raise ValueError(
            f"must be an IPv4/IPv6 address or a DNS name, got {shown(value)}"
        ) from None
    if address.is_unspecified or address.is_multicast:
        raise ValueError(f"must be a unicast address, got {shown(value)}")
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        # Python takes any text after '%' (spaces, newlines); HAProxy cannot use a zone anyway.
        raise ValueError(f"must not have a zone index ('%...'), got {shown(value)}")
    return str(address)


# A dotted quad as inet_ntop prints it (no leading zeros, ASCII digits), first octet 1-223:
# not 0.x.x.x, multicast or reserved. One regex match: 2.5x faster than inet_pton then
# inet_ntop (0.27 s -> 0.11 s for 50,000 addresses); tests/model/test_server_address.py proves
# both agree.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_UNICAST_IPV4 = re.compile(
    rf"(?:22[0-3]|2[01][0-9]|1[0-9][0-9]|[1-9][0-9]?)\.{_OCTET}\.{_OCTET}\.{_OCTET}"
)


def _is_canonical_unicast_ipv4(value: str) -> bool:
    return _CANONICAL_UNICAST_IPV4.fullmatch(value) is not None


ServerAddress = Annotated[
    str, Field(description="IPv4/IPv6 address or DNS name"), AfterValidator(_check_server_address)
]


def _check_host_header(value: str) -> str:
    bare = value[2:] if value.startswith("*.") else value
    if not _HOSTNAME.fullmatch(bare):
        raise ValueError(f"must be a DNS name, optionally starting with '*.', got {shown(value)}")
    return value.lower()


HostMatch = Annotated[
    str,
    Field(description="Host header to match, e.g. api.example.com or *.example.com"),
    AfterValidator(_check_host_header),
]

# URI paths: RFC 3986 characters minus quotes, '#', '$', '\\' and spaces, which HAProxy's
# config parser would treat as syntax.
UriPath = Annotated[
    str,
    Field(
        pattern=r"^/[A-Za-z0-9._~!&()*+,;=:@%/?-]{0,1023}$",
        description="URI path starting with '/'; no spaces, quotes, '#', '$' or backslashes",
    ),
]


def _check_file_path(value: str) -> str:
    if any(part in ("..", ".") for part in value.split("/")):
        raise ValueError(f"must not contain '.' or '..' components, got {value!r}")
    return value


FilePath = Annotated[
    str,
    Field(
        pattern=r"^/[A-Za-z0-9._/@+-]{1,1023}$", description="absolute path; no spaces or quotes"
    ),
    AfterValidator(_check_file_path),
]

Directive = Annotated[
    str,
    Field(
        pattern=r"^[\x20-\x7e]{1,1024}$",
        description=(
            "one HAProxy directive: printable ASCII on one line; no section headers, "
            "preprocessor lines, environment expansion, code, files or socket paths"
        ),
    ),
    AfterValidator(check_directive),
]

Password = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_.+=@%^:,-]{1,8}$",
        description="1-8 characters (keepalived truncates longer VRRP passwords silently)",
    ),
]


def _check_ca_file(value: str) -> str:
    return value if value == "@system-ca" else _check_file_path(value)


CaFile = Annotated[
    str,
    Field(
        pattern=r"^(@system-ca|/[A-Za-z0-9._/@+-]{1,1023})$",
        description="'@system-ca' or an absolute path",
    ),
    AfterValidator(_check_ca_file),
]
