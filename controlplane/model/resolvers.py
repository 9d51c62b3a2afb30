"""Service discovery: DNS `resolvers` sections, and pools whose servers follow DNS.

A pool that names a resolver re-resolves its servers given by DNS name while HAProxy runs
(a changed A record moves the traffic without a reload), and may hold `server_templates`:
N server slots filled at runtime from DNS SRV records (Consul's DNS interface is the common
case) or from the A records of one name. The objects here are what `schema.py` puts in a
model; `resolver_errors` and `resolver_warnings` are their cross-object rules, called by
`rules.check_model`.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import operator
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, model_validator

from ..errors import FieldError
from .base import Port, Single, Strict
from .duplicates import duplicate_errors
from .error_budget import Counted
from .types import Duration, Name, shown

if TYPE_CHECKING:
    from .schema import LbModel, Pool, Server

MAX_RESOLVERS = 1_000
MAX_NAMESERVERS = 16
MAX_TEMPLATES_PER_POOL = 100
MAX_TEMPLATE_SLOTS = 1_000

# One DNS label, then the name: letters, digits and '-' only, so nothing a config parser
# reads as syntax can pass. fullmatch: a pattern ending in '$' would accept a newline.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}\Z)({_LABEL}\.)*{_LABEL}")
# RFC 2782: _service._proto.name (Consul: _web._tcp.service.consul, or
# _web._tcp.service.dc1.consul); a service label starts with '_'.
_SRV_NAME = re.compile(rf"(?=.{{1,253}}\Z)_[A-Za-z0-9-]{{1,62}}\._(tcp|udp)\.({_LABEL}\.)*{_LABEL}")


def is_srv_name(name: str) -> bool:
    """Return whether a template's DNS name asks for SRV records (it starts with '_')."""
    return name.startswith("_")


def _check_discovery_name(value: str) -> str:
    if _SRV_NAME.fullmatch(value):
        return value.lower()
    if _HOSTNAME.fullmatch(value) and not value.replace(".", "").isdigit():
        return value.lower()
    raise ValueError(
        "must be a DNS SRV name like _http._tcp.app.service.consul or a host name like "
        f"app.service.consul, got {shown(value)}"
    )


DiscoveryName = Annotated[
    str,
    Field(description="SRV name (_service._tcp.name) or host name whose A/AAAA records fill slots"),
    AfterValidator(_check_discovery_name),
]


def _check_nameserver_address(value: str) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(
            f"must be an IPv4 or IPv6 address like 198.18.0.53 or 127.0.0.1, got {shown(value)}"
        ) from None
    if address.is_unspecified or address.is_multicast:
        raise ValueError(f"must be a unicast address, got {shown(value)}")
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        raise ValueError(f"must not have a zone index ('%...'), got {shown(value)}")
    return str(address)


NameserverAddress = Annotated[
    str,
    Field(description="IPv4/IPv6 address of a DNS server (loopback allowed: a local agent)"),
    AfterValidator(_check_nameserver_address),
]


class Nameserver(Strict):
    address: NameserverAddress
    port: Port = Field(53, description="Consul's DNS interface listens on 8600")


class ResolverTimeouts(Single):
    resolve: Duration = Field(
        "1s", description="time between two resolutions of a name: how fast a change is seen"
    )
    retry: Duration = Field("1s", description="time to wait for an answer before retrying")


class ResolverHold(Single):
    """How long HAProxy keeps the last answer of each kind before acting on a new one."""

    valid: Duration = Field("10s", description="keep a valid answer this long")
    nx: Duration = Field("30s", description="keep the last address after NXDOMAIN this long")
    other: Duration = Field("30s", description="after another DNS error")
    refused: Duration = Field("30s", description="after the server refused the query")
    timeout: Duration = Field("30s", description="after no answer")
    # HAProxy keeps a record gone from the answers for `hold obsolete` (0s by default) and
    # prefers a server's current address while it is kept: measured in the lab, `hold
    # obsolete 30s` kept a server on its old address for the 10 s a test waited after its A
    # record changed.
    obsolete: Duration | None = Field(
        None, description="keep a record gone from the answers this long; unset: drop it at once"
    )


class Resolver(Strict):
    """A named `resolvers` section: the DNS servers HAProxy asks while it runs."""

    name: Name
    nameservers: list[Counted[Nameserver]] = Field(
        default_factory=list,
        max_length=MAX_NAMESERVERS,
        description="the DNS servers to ask; may be empty with parse_resolv_conf",
    )
    parse_resolv_conf: bool = Field(
        False,
        description="also ask the nameservers of each LB host's /etc/resolv.conf, read when "
        "HAProxy starts or reloads (HAProxy's parse-resolv-conf): the usual way in containers",
    )
    resolve_retries: int = Field(3, ge=1, le=100, description="queries before giving up")
    accepted_payload_size: int = Field(
        8192,
        ge=512,
        le=65535,
        description="largest DNS answer over UDP (EDNS0); SRV answers with many servers "
        "need more than DNS's classic 512 bytes",
    )
    timeouts: ResolverTimeouts = ResolverTimeouts()
    hold: ResolverHold = ResolverHold()


class ServerTemplate(Strict):
    """`count` server slots named NAME1..NAMEcount, filled at runtime from DNS."""

    name: Name = Field(description="slot name prefix: web gives web1, web2, ...")
    count: int = Field(ge=1, le=MAX_TEMPLATE_SLOTS, description="how many slots to reserve")
    dns_name: DiscoveryName
    port: Port | None = Field(
        None, description="for a host name; an SRV name's records carry their own ports"
    )
    weight: int = Field(100, ge=0, le=256)
    tls: bool = Field(False, description="connect to these servers over TLS")

    @model_validator(mode="after")
    def _port_matches_the_name(self) -> ServerTemplate:
        if is_srv_name(self.dns_name) and self.port is not None:
            raise ValueError("an SRV name's records carry the port: remove port")
        if not is_srv_name(self.dns_name) and self.port is None:
            raise ValueError(f"needs a port: {self.dns_name} is a host name, not an SRV name")
        return self


def template_slot_names(template: ServerTemplate) -> list[str]:
    """Return the server names HAProxy gives a template's slots: web1, web2, ..."""
    return [f"{template.name}{i}" for i in range(1, template.count + 1)]


# Cached: every validation asks for every server (50,000 parses took 0.3 s of the rules).
@functools.lru_cache(maxsize=1 << 17)
def is_dns_name(address: str) -> bool:
    """Return whether a server address (as the model holds it) is a DNS name, not an IP."""
    if _is_plain_ipv4(address):
        return False  # the common case: a cold CLI run has no cache; ipaddress: 0.09 s
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return True
    return False


# A dotted quad as inet_ntop prints it (no leading zeros, ASCII digits): the form ipaddress
# also accepts. One regex match, 2.5x faster than inet_pton + inet_ntop (a property test,
# tests/model/test_server_address.py, compares both).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PLAIN_IPV4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")


def _is_plain_ipv4(address: str) -> bool:
    return _PLAIN_IPV4.fullmatch(address) is not None


def _all_plain_ipv4(servers: list[Server]) -> bool:
    """Return whether every server's address is a dotted quad (so none is a DNS name).

    resolver_warnings on 50,000 servers took 72 ms through is_dns_name (a cache miss each on
    a cold run) and takes 34 ms so (same process, CPU time).
    """
    return all(map(_PLAIN_IPV4.fullmatch, map(_ADDRESS, servers)))


_ADDRESS = operator.attrgetter("address")


def resolver_errors(model: LbModel) -> Iterator[FieldError]:
    """Yield the errors of resolvers and of the pools that use them, by field path."""
    yield from duplicate_errors("resolvers", model.resolvers)
    known = dict.fromkeys(resolver.name for resolver in model.resolvers)
    for resolver in model.resolvers:
        yield from _nameservers(resolver)
    for pool in model.pools:
        yield from _pool_errors(pool, known)


def _nameservers(resolver: Resolver) -> Iterator[FieldError]:
    if not resolver.nameservers and not resolver.parse_resolv_conf:
        yield FieldError(
            f"resolvers[{resolver.name}].nameservers",
            "needs at least one nameserver, or parse_resolv_conf: true to ask the ones in "
            "each LB host's /etc/resolv.conf",
        )
    seen: dict[tuple[str, int], int] = {}
    for i, ns in enumerate(resolver.nameservers):
        key = (ns.address, ns.port)
        if key in seen:
            yield FieldError(
                f"resolvers[{resolver.name}].nameservers[{i}]",
                f"{ns.address} port {ns.port} is also nameservers[{seen[key]}]",
            )
        seen.setdefault(key, i)


def _pool_errors(pool: Pool, resolvers: dict[str, None]) -> Iterator[FieldError]:
    path = f"pools[{pool.name}]"
    # A pool without servers answers by its `extra` (an imported stats page, a stick table
    # other proxies track into) or its error pages (a maintenance or not-found page).
    if not (pool.servers or pool.server_templates or pool.extra or pool.error_pages):
        yield FieldError(
            f"{path}.servers",
            "must have at least 1 item, or server_templates to fill the pool from DNS "
            "(or, to answer without servers, error_pages or extra lines: a stats page, "
            "a stick table)",
        )
    if pool.resolvers is not None and pool.resolvers not in resolvers:
        listed = ", ".join(repr(n) for n in itertools.islice(resolvers, 8)) or "none defined"
        yield FieldError(
            f"{path}.resolvers", f"unknown resolver {pool.resolvers!r} (known: {listed})"
        )
    if "resolve_prefer" in pool.model_fields_set and pool.resolvers is None:
        yield FieldError(f"{path}.resolve_prefer", "applies only with resolvers: name one")
    if pool.server_templates and pool.resolvers is None:
        yield FieldError(
            f"{path}.server_templates",
            "slots are filled by DNS at runtime, so the pool needs resolvers: name one "
            "of the model's resolvers",
        )
    if pool.server_templates and pool.sticky == "cookie":
        yield FieldError(
            f"{path}.sticky",
            "cookie stickiness needs a cookie per server, and server_templates slots have "
            "none; use sticky: source or none",
        )
    yield from _slot_clashes(path, pool)


def _slot_clashes(path: str, pool: Pool) -> Iterator[FieldError]:
    """Yield templates whose slots take a server's name or another template's slots.

    Never lists the slots (100 templates of 1,000 slots per pool would be a lot): a name is
    a slot of template P when it is P followed by a number from 1 to its count, written
    without leading zeros, so each name is looked up by its few possible prefixes.
    """
    templates: dict[str, ServerTemplate] = {}
    for template in pool.server_templates:
        if template.name in templates:
            yield FieldError(
                f"{path}.server_templates[{template.name}]",
                f"the name prefix {template.name!r} is used twice: its slots would clash",
            )
        templates.setdefault(template.name, template)
    if not templates:
        return
    reported: set[str] = set()  # one error per template is enough to act on
    for server in pool.servers:
        owner = _slot_owner(server.name, templates, "")
        if owner is not None and owner not in reported:
            reported.add(owner)
            yield FieldError(
                f"{path}.server_templates[{owner}]",
                f"slot {server.name!r} has the name of servers[{server.name}]; use another "
                "name prefix",
            )
    # Two templates clash when the longer prefix is the shorter one and digits; its first
    # slot is then the smallest name the two could share.
    for name in templates:
        owner = _slot_owner(f"{name}1", templates, name)
        if owner is not None:
            yield FieldError(
                f"{path}.server_templates[{name}]",
                f"slot {name + '1'!r} is also a slot of server_templates[{owner}]; use "
                "another name prefix",
            )


def _slot_owner(name: str, templates: dict[str, ServerTemplate], skip: str) -> str | None:
    """Return the prefix of the template (other than `skip`) that has a slot called `name`."""
    for cut in range(len(name) - 1, 0, -1):
        number = name[cut:]
        if not number.isdigit():
            return None
        prefix = name[:cut]
        template = templates.get(prefix)
        if (
            template is not None
            and prefix != skip
            and number[0] != "0"
            and int(number) <= template.count
        ):
            return prefix
    return None


def resolver_warnings(model: LbModel) -> Iterator[FieldError]:
    """Yield warnings: names that resolve only at start, resolvers no pool uses."""
    used = {p.resolvers for p in model.pools}
    for resolver in model.resolvers:
        if resolver.name not in used:
            yield FieldError(
                f"resolvers[{resolver.name}]", "no pool uses this resolver; it is not rendered"
            )
    for pool in model.pools:
        if pool.resolvers is not None or _all_plain_ipv4(pool.servers):
            continue
        for server in pool.servers:
            if is_dns_name(server.address):
                yield FieldError(
                    f"pools[{pool.name}].servers[{server.name}].address",
                    f"{server.address} is resolved only when HAProxy starts or reloads; "
                    "give the pool resolvers to follow address changes",
                )
