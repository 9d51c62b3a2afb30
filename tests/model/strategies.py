"""Hypothesis strategies for valid model documents (invalid ones: mutations.py).

A valid document obeys every rule of controlplane/model (types, schema, rules) and uses
only addresses from 198.18.0.0/15. Values are drawn across the whole range the model
accepts, boundaries included, so a value the model lets through but HAProxy or keepalived
refuses is found by the property tests rather than by an operator.

Patterns are read from the schema itself, so the generators follow it when it changes.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import string
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from controlplane.model.proxies import PoolTimeouts
from controlplane.model.schema import HealthCheck, Pool, Timeouts, VrrpAuthentication
from controlplane.model.types import MAX_DURATION_MS

from .schema_paths import pattern_of

NETWORK = ipaddress.IPv4Network("198.18.0.0/15")
# No file under this folder exists here, so `check` stands in for certificates and CA files.
CERT_DIR = "/etc/lbctl-hypothesis"


def _schema_pattern(model: type[BaseModel], key: str) -> str:
    pattern = pattern_of(model, key)
    assert pattern is not None, f"{model.__name__}.{key} has no pattern"
    return pattern


def _matching(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


def _word(first: str, rest: str, max_size: int, last: str = "") -> st.SearchStrategy[str]:
    """Return strings of one `first` character, then `rest` ones (then one `last`).

    The same languages as simple regexes, drawn several times faster than from_regex.
    """
    parts = [st.sampled_from(first), st.text(rest, max_size=max_size)]
    if last:
        parts.append(st.sampled_from(last))
    return st.tuples(*parts).map("".join)


_ALNUM = string.ascii_letters + string.digits
NAMES = _word(_ALNUM, _ALNUM + "_.-", 62)  # NAME_PATTERN, spelled out
PORTS = st.integers(1, 65535)
URI_PATHS = _matching(_schema_pattern(HealthCheck, "path"))
PASSWORDS = _matching(_schema_pattern(VrrpAuthentication, "password"))
COOKIE_NAMES = _matching(_schema_pattern(Pool, "cookie_name"))
# Linux interface names, keyword-like ones ("a", "type") included: `check` passes them to
# iproute2 as `name NAME`. "lo", "all" and "default" are refused by the model.
INTERFACES = st.one_of(
    st.sampled_from(["eth0", "ens3", "enp0s31f6", "bond0.100", "eth1-vlan9", "type", "lbctlchk0"]),
    _word(string.ascii_letters, _ALNUM + "_.-", 13).filter(
        lambda s: s not in ("lo", "all", "default") and not s.startswith("lo:")
    ),
)
_LABELS = _word(_ALNUM, _ALNUM + "-", 61, _ALNUM) | st.sampled_from(_ALNUM)
DNS_NAMES = st.lists(_LABELS, min_size=1, max_size=4).map(".".join)
HOST_MATCHES = st.tuples(st.sampled_from(["", "*."]), DNS_NAMES).map("".join)
SERVER_NAMES = st.lists(_LABELS.map(str.lower), min_size=1, max_size=3).map(
    lambda labels: ".".join([*labels, "example"])
)
LOG_TARGETS = st.sampled_from(["/dev/log", "127.0.0.1:514", "198.18.0.1:514", "udp@198.18.0.2:514"])
_SEGMENTS = st.text(_ALNUM + "._@+-", min_size=1, max_size=24).filter(
    lambda s: s not in (".", "..")
)
FILE_PATHS = st.lists(_SEGMENTS, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
CERT_PATHS = st.lists(_SEGMENTS, min_size=1, max_size=3).map(
    lambda parts: "/".join([CERT_DIR, *parts])
)

# `extra` directives HAProxy accepts in each section (and the model's policy allows).
GLOBAL_EXTRA = ["tune.bufsize 32768", "spread-checks 5", 'description "a b #c"']
FRONTEND_EXTRA = {
    "http": [
        'http-response set-header Strict-Transport-Security "max-age=63072000"',
        "http-request deny if { path_beg /admin }",
        "timeout client 10s",
    ],
    "tcp": ["timeout client 10s", "tcp-request inspect-delay 5s"],
}
POOL_EXTRA = {
    "http": ["http-response set-header X-Pool shop", "option allbackups", "retries 2"],
    "tcp": ["timeout server 10s", "option allbackups"],
}

# --- durations -----------------------------------------------------------------------

_UNIT_US = {
    "us": 1,
    "ms": 1_000,
    "s": 1_000_000,
    "m": 60_000_000,
    "h": 3_600_000_000,
    "d": 86_400_000_000,
}
HAPROXY_MAX_US = MAX_DURATION_MS * 1000


@functools.cache  # building strategies is slow; each bound is asked for again and again
def durations(
    min_us: int = 1, max_us: int = HAPROXY_MAX_US, step_us: int = 1
) -> st.SearchStrategy[str]:
    """Return duration strings ('250ms', '3s') for whole multiples of `step_us` in the bounds.

    Every unit that can spell such a value exactly is used, with at most 9 digits as the
    model allows, sometimes with leading zeros.
    """
    spellings = []
    for unit, factor in _UNIT_US.items():
        stride = step_us // math.gcd(step_us, factor)  # the count must be a multiple of this
        low = _ceil_div(_ceil_div(min_us, factor), stride)
        high = min(999_999_999, max_us // factor) // stride
        if low <= high:
            spellings.append(
                st.tuples(st.integers(low, high), st.booleans()).map(
                    lambda drawn, unit=unit, stride=stride: _spell(
                        drawn[0] * stride, unit, drawn[1]
                    )
                )
            )
    return st.one_of(spellings)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _spell(count: int, unit: str, padded: bool) -> str:
    digits = str(count).zfill(9) if padded else str(count)
    return f"{digits}{unit}"


# --- valid documents -----------------------------------------------------------------


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Return a model document that passes validation: 2-4 hosts, 0-3 vip pairs, pools..."""
    host_names = draw(st.lists(NAMES, min_size=2, max_size=4, unique=True))
    pair_vip_counts = draw(st.lists(st.integers(1, 3), max_size=3))
    addresses = draw(_addresses(len(host_names) + sum(pair_vip_counts)))
    hosts = [
        {"name": name, "address": addresses.pop(), "interface": draw(INTERFACES)}
        for name in host_names
    ]
    pairs = draw(_vip_pairs(host_names, pair_vip_counts, addresses))
    checks = draw(_health_checks())
    pools = draw(_pools([c["name"] for c in checks]))
    frontends = draw(_frontends(pairs, pools)) if pairs and pools else []
    _settle_stickiness(pools, frontends)
    document: dict[str, Any] = {"lb_hosts": hosts}
    for key, items in (
        ("vip_pairs", pairs),
        ("health_checks", checks),
        ("pools", [_without_mode(p) for p in pools]),
        ("frontends", frontends),
    ):
        if items or draw(st.booleans()):
            document[key] = items
    settings = draw(_settings())
    if settings is not None:
        document["settings"] = settings
    return document


def _addresses(count: int) -> st.SearchStrategy[list[str]]:
    return st.lists(
        st.integers(0, NETWORK.num_addresses - 1), min_size=count, max_size=count, unique=True
    ).map(lambda offsets: [str(NETWORK[i]) for i in offsets])


@st.composite
def _vip_pairs(
    draw: st.DrawFn, host_names: list[str], vip_counts: list[int], addresses: list[str]
) -> list[dict[str, Any]]:
    names = draw(st.lists(NAMES, min_size=len(vip_counts), max_size=len(vip_counts), unique=True))
    pairs = []
    next_router_id = 1
    for name, count in zip(names, vip_counts, strict=True):
        active_active = count >= 2 and draw(st.booleans())
        pair: dict[str, Any] = {
            "name": name,
            "hosts": draw(st.permutations(host_names))[:2],
            "virtual_router_id": next_router_id + draw(st.integers(0, 20)),
            "vips": [f"{addresses.pop()}/{draw(st.integers(0, 32))}" for _ in range(count)],
        }
        if active_active:
            pair["mode"] = "active-active"
        elif draw(st.booleans()):
            pair["mode"] = "active-passive"
        next_router_id = pair["virtual_router_id"] + (count if active_active else 1)
        pair.update(draw(_vrrp_options()))
        pairs.append(pair)
    # Shift every id up by the same amount, so the last can land on 255 (ids stay distinct).
    shift = draw(st.integers(0, 256 - next_router_id))
    for pair in pairs:
        pair["virtual_router_id"] += shift
    return pairs


@st.composite
def _vrrp_options(draw: st.DrawFn) -> dict[str, Any]:
    version = draw(st.sampled_from([2, 3]))
    explicit = draw(st.booleans())
    options: dict[str, Any] = {"vrrp_version": version} if explicit else {}
    if version == 2:
        advert = durations(1_000_000, 255_000_000, step_us=1_000_000)
    else:  # VRRPv3: multiples of 10ms; left implicit, only sub-second adverts select it
        advert = durations(10_000, 40_950_000 if explicit else 990_000, step_us=10_000)
    if version == 3 or draw(st.booleans()):
        options["advert_interval"] = draw(advert)
    master = draw(st.integers(2, 254))
    backup = draw(st.integers(1, master - 1))
    options.update(draw(_PREEMPTION))
    if draw(st.booleans()):
        options.update(master_priority=master, backup_priority=backup)
        # The track weight must take the master below the backup (or be 0, for FAULT).
        lowest = master - backup + 1
        weights = st.just(0) if lowest > 253 else st.just(0) | st.integers(lowest, 253)
        options["track_weight"] = draw(weights)
    if version == 2 and draw(st.booleans()):
        options["authentication"] = draw(_AUTHENTICATION)
    if draw(st.booleans()):
        options["keepalived"] = draw(_KEEPALIVED_OPTIONS)
    return options


# A pair's keepalived options (model/keepalived_options.py). Weights stay 0 (FAULT): any
# other weight may warn that it cannot move the VIPs, which some properties forbid.
SCRIPT_COMMANDS = st.sampled_from(
    ["/usr/local/bin/check", "/opt/chk-db.sh --port 5432", "/usr/bin/x a.b_c/d+e=f:g,h%i@j-k"]
)
_TRACK_SCRIPTS = st.lists(
    st.fixed_dictionaries(
        {"name": NAMES, "command": SCRIPT_COMMANDS},
        optional={
            "interval": st.integers(1, 3600).map(lambda n: f"{n}s"),
            "timeout": st.integers(1, 3600).map(lambda n: f"{n}s"),
            "rise": st.integers(1, 100),
            "fall": st.integers(1, 100),
        },
    ),
    max_size=3,
    unique_by=lambda script: script["name"],
)
_KEEPALIVED_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "track_scripts": _TRACK_SCRIPTS,
        "track_interfaces": st.lists(
            st.sampled_from(["eth1", "bond0", "ens4.100"]).map(lambda n: {"name": n}),
            max_size=3,
            unique_by=lambda track: track["name"],
        ),
        "notify": st.fixed_dictionaries(
            {}, optional={s: SCRIPT_COMMANDS for s in ("master", "backup", "fault", "stop")}
        ),
        "vip_interface": st.sampled_from(["eth1", "vlan10"]),
        "advertised_vips": st.sampled_from(["all", "first"]),
        "garp": st.fixed_dictionaries(
            {},
            optional={
                "master_delay": st.integers(1, 4294).map(lambda n: f"{n}s"),
                "master_repeat": st.integers(1, 255),
                "master_refresh": st.none() | st.integers(1, 86_400).map(lambda n: f"{n}s"),
                "master_refresh_repeat": st.integers(1, 255),
                "lower_prio_delay": st.integers(1, 4294).map(lambda n: f"{n}s"),
                "lower_prio_repeat": st.integers(1, 255),
            },
        ),
    },
)


_PREEMPTION = st.fixed_dictionaries(
    {},
    optional={
        "preempt": st.booleans(),
        "preempt_delay": durations(1_000, 1_000_000_000),
        "unicast": st.booleans(),
    },
)
_AUTHENTICATION = st.fixed_dictionaries(
    {"password": PASSWORDS}, optional={"type": st.sampled_from(["PASS", "AH"])}
)
# Free text of checks and logs: spaces, '#', double quotes and braces stay inside quotes.
CHECK_TEXTS = st.sampled_from(["ok", "ready # now", 'say "hi"', "+PONG", "a\\b {x}"])
CHECK_REGEXES = st.sampled_from(["^ok", "^ok\\s*$", "v[0-9]+ # x", '"q"'])
SEND_TEXTS = st.sampled_from(["PING\\r\\n", "status", "a # b\\n", "x\\ty"])
LOG_FORMATS = st.sampled_from(["%ci %ST", "%ci:%cp [%tr] %ft %b/%s %ST %B %ID # x", '"%ci"'])
TCP_LOG_FORMATS = st.sampled_from(["%ci %ST", "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B", '"%ci"'])
_CHECK_OPTIONS = {
    "interval": durations(),
    "rise": st.integers(1, 100),
    "fall": st.integers(1, 100),
    "port": PORTS,
    "expect_string": CHECK_TEXTS,
    "expect_regex": CHECK_REGEXES,
    "agent": st.fixed_dictionaries(
        {"port": PORTS}, optional={"interval": durations(), "send": SEND_TEXTS}
    ),
}
_HTTP_CHECK_OPTIONS = {
    "path": URI_PATHS,
    "method": st.sampled_from(["GET", "HEAD", "OPTIONS"]),
    "host": HOST_MATCHES,
    "expect_status": st.integers(100, 599),
}
_CHECKS = st.one_of(
    st.fixed_dictionaries({"type": st.just("tcp")}, optional=_CHECK_OPTIONS | {"send": SEND_TEXTS}),
    st.fixed_dictionaries({"type": st.just("http")}, optional=_CHECK_OPTIONS | _HTTP_CHECK_OPTIONS),
)


@st.composite
def _health_checks(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [
        {"name": name} | draw(_CHECKS) for name in draw(st.lists(NAMES, max_size=3, unique=True))
    ]


@st.composite
def _pools(draw: st.DrawFn, check_names: list[str]) -> list[dict[str, Any]]:
    """Return pools, each with a private "_mode" (http/tcp) that frontends must match."""
    pools = []
    for name in draw(st.lists(NAMES, max_size=4, unique=True)):
        mode = draw(st.sampled_from(["http", "tcp"]))
        pool: dict[str, Any] = {"name": name, "_mode": mode, "servers": draw(_servers())}
        pool.update(draw(_POOL_OPTIONS[mode]))
        if check_names and draw(st.booleans()):
            pool["health_check"] = draw(st.sampled_from(check_names))
        pools.append(pool)
    return pools


_SERVER_OPTIONS = {
    "check_interval": durations(),
    "rise": st.integers(1, 100),
    "fall": st.integers(1, 100),
    "slow_start": durations(),
    "send_proxy": st.sampled_from(["v1", "v2"]),
}


def _pool_options(mode: str) -> st.SearchStrategy[dict[str, Any]]:
    http_only = ["uri", "cookie"] if mode == "http" else []
    return st.fixed_dictionaries(
        {},
        optional={
            "balance": st.sampled_from(
                ["roundrobin", "leastconn", "source", "first", *http_only[:1]]
            ),
            "sticky": st.sampled_from(["none", "source", *http_only[1:]]),
            "cookie_name": COOKIE_NAMES,
            "tls_verify": st.sampled_from(["required", "none"]),
            "tls_ca_file": st.just("@system-ca") | CERT_PATHS,
            "extra": st.lists(st.sampled_from(POOL_EXTRA[mode]), max_size=2, unique=True),
            "timeouts": st.fixed_dictionaries(
                {}, optional=dict.fromkeys(PoolTimeouts.model_fields, durations())
            ),
            "default_server": st.fixed_dictionaries(
                {},
                optional=_SERVER_OPTIONS
                | {"maxconn": st.integers(1, 10_000_000), "maxqueue": st.integers(1, 10_000_000)},
            ),
        },
    )


_POOL_OPTIONS = {mode: _pool_options(mode) for mode in ("http", "tcp")}

_SERVER_LISTS = st.lists(
    st.fixed_dictionaries(
        {
            "name": NAMES,
            "address": st.integers(0, NETWORK.num_addresses - 1).map(lambda i: str(NETWORK[i]))
            | SERVER_NAMES,
            "port": PORTS,
        },
        optional={
            "weight": st.integers(0, 256),
            "backup": st.booleans(),
            "state": st.sampled_from(["enabled", "drain", "maint"]),
            "maxconn": st.integers(1, 10_000_000),
            "tls": st.booleans(),
            **_SERVER_OPTIONS,
        },
    ),
    min_size=1,
    max_size=4,
    unique_by=(lambda s: s["name"], lambda s: (s["address"], s["port"])),
)


@st.composite
def _servers(draw: st.DrawFn) -> list[dict[str, Any]]:
    servers = draw(_SERVER_LISTS)
    if all(s.get("backup") for s in servers):
        servers[0]["backup"] = False
    return servers


@st.composite
def _frontends(
    draw: st.DrawFn, pairs: list[dict[str, Any]], pools: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    frontends = []
    bound: set[tuple[str, int]] = set()
    for name in draw(st.lists(NAMES, min_size=1, max_size=4, unique=True)):
        pair = draw(st.sampled_from(pairs))
        vips = [v.split("/")[0] for v in pair["vips"]]
        vip = draw(st.none() | st.sampled_from(vips))
        port = draw(PORTS.filter(lambda p, vip=vip or vips[0]: (vip, p) not in bound))
        bound.add((vip or vips[0], port))
        mode = draw(st.sampled_from(sorted({p["_mode"] for p in pools})))
        usable = [p["name"] for p in pools if p["_mode"] == mode]
        fe: dict[str, Any] = {"name": name, "vip_pair": pair["name"], "port": port}
        if vip is not None:
            fe["vip"] = vip
        if mode == "tcp" or draw(st.booleans()):
            fe["mode"] = mode
        routes = draw(_routes(usable)) if mode == "http" else []
        if routes:
            fe["routes"] = routes
        if not routes or draw(st.booleans()):
            fe["default_pool"] = draw(st.sampled_from(usable))
        fe.update(draw(_FRONTEND_OPTIONS[mode]))
        frontends.append(fe)
    return frontends


@st.composite
def _routes(draw: st.DrawFn, pools: list[str]) -> list[dict[str, Any]]:
    """Return routes that are all reachable: no repeated match, none after its host's catch-all."""
    routes = []
    seen: set[tuple[str | None, str | None]] = set()
    catch_all: set[str] = set()
    for _ in range(draw(st.integers(0, 3))):
        host = draw(st.none() | HOST_MATCHES)
        path = draw(URI_PATHS) if host is None else draw(st.none() | URI_PATHS)
        key = (host.lower() if host else None, path)
        if key in seen or key[0] in catch_all:
            continue
        seen.add(key)
        if host is not None and path is None:
            catch_all.add(key[0])
        route = {"pool": draw(st.sampled_from(pools))}
        route |= {"host": host} if host is not None else {}
        route |= {"path_prefix": path} if path is not None else {}
        routes.append(route)
    return routes


def _frontend_options(mode: str) -> st.SearchStrategy[dict[str, Any]]:
    tls = st.fixed_dictionaries(
        {"certificate": CERT_PATHS},
        optional={"alpn": st.lists(st.sampled_from(["h2", "http/1.1"]), max_size=3)},
    )
    http = mode == "http"
    timeouts = ["client", "client_fin", *(["http_request", "http_keep_alive"] if http else [])]
    target = st.fixed_dictionaries(
        {"address": st.sampled_from(["stdout", "/dev/log", "198.18.0.5:514"])},
        optional={
            "facility": st.sampled_from(["local0", "daemon"]),
            "level": st.sampled_from(["info", "err"]),
            "format": st.sampled_from(["raw", "rfc5424"]),
        },
    )
    logging = st.fixed_dictionaries(
        {},
        optional={
            "format": st.sampled_from(["http", "https", "tcp"] if http else ["tcp"]),
            "log_empty_connections": st.booleans(),
            "targets": st.lists(target, max_size=2),
            **(
                {"request_id": st.fixed_dictionaries({"header": st.just("X-Request-ID")})}
                if http
                else {}
            ),
        },
    )
    compression = st.fixed_dictionaries(
        {"algorithms": st.lists(st.sampled_from(["gzip", "deflate"]), min_size=1, unique=True)},
        optional={
            "types": st.lists(
                st.sampled_from(["text/html", "application/json"]), min_size=1, unique=True
            )
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "tls": tls,
            "timeouts": st.fixed_dictionaries({}, optional=dict.fromkeys(timeouts, durations())),
            "logging": logging
            | st.fixed_dictionaries({"custom_format": LOG_FORMATS if http else TCP_LOG_FORMATS}),
            **({"compression": compression} if http else {}),
            "maxconn": st.integers(1, 10_000_000),
            "forwarded_for": st.booleans(),
            "extra": st.lists(st.sampled_from(FRONTEND_EXTRA[mode]), max_size=2, unique=True),
        },
    )


_FRONTEND_OPTIONS = {mode: _frontend_options(mode) for mode in ("http", "tcp")}


def _settle_stickiness(pools: list[dict[str, Any]], frontends: list[dict[str, Any]]) -> None:
    """Drop source stickiness from pools that frontends of several vip pairs use."""
    for pool in pools:
        pairs = {
            fe["vip_pair"]
            for fe in frontends
            if pool["name"] in [fe.get("default_pool"), *(r["pool"] for r in fe.get("routes", []))]
        }
        if pool.get("sticky") == "source" and len(pairs) > 1:
            pool["sticky"] = "none"


def _without_mode(pool: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in pool.items() if k != "_mode"}


@st.composite
def _settings(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    timeouts = st.fixed_dictionaries({}, optional=dict.fromkeys(Timeouts.model_fields, durations()))
    settings = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "maxconn": st.integers(1, 10_000_000),
                "timeouts": timeouts,
                "retries": st.integers(0, 100),
                "hard_stop_after": durations(),
                "chroot": st.none() | FILE_PATHS,
                "log_target": LOG_TARGETS,
                "nbthread": st.integers(1, 64),
                "tune": st.fixed_dictionaries(
                    {},
                    optional={
                        "bufsize": st.integers(16_384, 65_536),
                        "http_maxhdr": st.integers(5, 1000),
                        "ssl_default_dh_param": st.sampled_from([1024, 2048, 4096]),
                        "ssl_lifetime": durations(),
                        "h2_max_concurrent_streams": st.integers(1, 1000),
                    },
                ),
                "admin_address": st.sampled_from(["127.0.0.1", "127.0.0.2"]),
                "peers_port": PORTS,
                "extra": st.lists(st.sampled_from(GLOBAL_EXTRA), max_size=2, unique=True),
            },
        )
    )
    if draw(st.booleans()):  # both or neither: they must differ
        monitor, metrics = draw(st.lists(PORTS, min_size=2, max_size=2, unique=True))
        settings.update(monitor_port=monitor, metrics_port=metrics)
    return settings
