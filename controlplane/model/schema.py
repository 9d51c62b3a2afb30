"""The model file format v1: pydantic classes whose field names are the public contract.

Single-value rules live here (types, ranges, patterns); rules that relate several
objects to each other live in `rules.py`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from .access import Access, RateLimit
from .base import Port, Single, Strict
from .binds import MAX_BINDS, Bind
from .config_files import MAX_FILES, CaBundle, Certificate, Crl, ErrorPage, MapFile
from .error_budget import Counted
from .keepalived_options import KeepalivedGlobals, KeepalivedOptions
from .logs import MAX_LOG_TARGETS, FrontendLogging, LogTarget
from .proxies import (
    AgentCheck,
    CheckRegex,
    CheckText,
    Count,
    FrontendTimeouts,
    PoolTimeouts,
    SendProxy,
    SendText,
    ServerDefaults,
)
from .resolvers import MAX_RESOLVERS, MAX_TEMPLATES_PER_POOL, Resolver, ServerTemplate
from .routing import MAX_RULES, Rule
from .stats import MAX_STATS_PAGES, StatsPage
from .tls import FrontendTls, PoolTls, TlsDefaults
from .tuning import MAX_THREADS, Compression, Tune
from .types import (
    CaFile,
    Directive,
    Duration,
    FilePath,
    HostMatch,
    Interface,
    IPv4,
    ListenIPv4,
    Name,
    Password,
    ServerAddress,
    UriPath,
    VipAddress,
    VipCidr,
)
from .userlists import MAX_USERLISTS, Userlist

# Lengths far past real configurations: pydantic refuses a longer list before reading an
# item, so a small request cannot make it build a million errors (error_budget.py).
MAX_HOSTS = 1_000
MAX_VIPS = 255  # a VRRP advert counts its addresses in one byte
MAX_POOLS = 100_000
MAX_SERVERS_PER_POOL = 10_000
MAX_FRONTENDS = 10_000
MAX_ROUTES = 10_000
MAX_EXTRA = 1_000
MAX_RETRIES = 100  # settings.retries; an imported larger one stays a backend line


class Timeouts(Single):
    connect: Duration = "5s"
    client: Duration = "30s"
    server: Duration = "30s"
    http_request: Duration = Field("10s", description="time to receive a whole HTTP request")
    http_keep_alive: Duration = Field("10s", description="idle time between keep-alive requests")
    queue: Duration = "30s"
    check: Duration = Field("5s", description="health check connect + response timeout")
    tunnel: Duration = Field("1h", description="idle timeout of WebSocket/CONNECT tunnels")


class Settings(Single):
    maxconn: int = Field(20000, ge=1, le=10_000_000)
    timeouts: Timeouts = Timeouts()
    retries: int = Field(3, ge=0, le=MAX_RETRIES)
    hard_stop_after: Duration = Field(
        "1m", description="how long old workers may finish their connections after a reload"
    )
    chroot: FilePath | None = "/var/lib/haproxy"
    log_target: str = Field("/dev/log", pattern=r"^[A-Za-z0-9._/:@-]{1,255}$")
    log_targets: list[LogTarget] = Field(
        default_factory=list,
        max_length=MAX_LOG_TARGETS,
        description="where HAProxy logs (facility, format); replaces log_target",
    )
    admin_address: ListenIPv4 = Field(
        "127.0.0.1", description="address of the monitor and metrics listeners"
    )
    monitor_port: Port = Field(8404, description="loopback health endpoint keepalived tracks")
    metrics_port: Port = Field(8405, description="Prometheus exporter and stats page")
    peers_port: Port = Field(10000, description="port HAProxy peers replicate stick tables on")
    keepalived: KeepalivedGlobals = KeepalivedGlobals()
    files_dir: FilePath = Field(
        "/etc/haproxy/lbctl",
        description="an absolute folder on the LB host for the files that travel with the config",
    )
    tls: TlsDefaults = Field(TlsDefaults(), description="global ssl-default-bind/server settings")
    nbthread: int | None = Field(
        None, ge=1, le=MAX_THREADS, description="worker threads; empty: one per CPU"
    )
    tune: Tune | None = Field(None, description="tune.* settings of known type")
    extra: list[Directive] = Field(
        default_factory=list, max_length=MAX_EXTRA, description="extra global directives"
    )


class LbHost(Strict):
    name: Name
    address: IPv4
    interface: Interface = Field(description="Linux interface carrying the VIPs")


class VrrpAuthentication(Single):
    type: Literal["PASS", "AH"] = "PASS"
    password: Password


class VipPair(Strict):
    name: Name
    hosts: list[Name] = Field(
        max_length=16, description="exactly two lb_hosts; the first is the preferred master"
    )
    mode: Literal["active-passive", "active-active"] = "active-passive"
    virtual_router_id: int = Field(
        ge=1, le=255, description="VRRP id; active-active uses one id per VIP starting here"
    )
    vips: list[VipCidr] = Field(min_length=1, max_length=MAX_VIPS)
    advert_interval: Duration = Field("1s", description="below 1s means VRRPv3")
    vrrp_version: Literal[2, 3] | None = Field(
        None, description="defaults to 3 for sub-second adverts, else 2"
    )
    preempt: bool = True
    preempt_delay: Duration | None = None
    unicast: bool = Field(True, description="send adverts to the peer's address, not multicast")
    # A backup takes over after 3 adverts plus a skew of (256 - its priority)/256 advert: the
    # skew only orders several backups, and a pair has one, so a high backup priority keeps
    # it at 1/16 advert (0.06 s at 1s) instead of 0.6 at priority 100.
    master_priority: int = Field(250, ge=1, le=254)
    backup_priority: int = Field(240, ge=1, le=254)
    track_weight: int = Field(
        60, ge=0, le=253, description="priority lost when HAProxy fails; 0 means go to FAULT"
    )
    authentication: VrrpAuthentication | None = Field(None, description="VRRPv2 only")
    keepalived: KeepalivedOptions | None = Field(
        None, description="track scripts and interfaces, notify scripts, VIP device, garp"
    )


class HealthCheck(Strict):
    name: Name
    type: Literal["http", "tcp"]
    path: UriPath = "/"
    method: Literal["GET", "HEAD", "OPTIONS"] = "GET"
    host: HostMatch | None = Field(None, description="Host header to send (http)")
    expect_status: int = Field(200, ge=100, le=599)
    interval: Duration = "2s"
    rise: int = Field(2, ge=1, le=100)
    fall: int = Field(3, ge=1, le=100)
    port: Port | None = Field(None, description="check this port instead of the server's")
    send: SendText | None = Field(None, description="tcp: what to send, e.g. PING\\r\\n")
    expect_string: CheckText | None = Field(None, description="the response must contain this")
    expect_regex: CheckRegex | None = Field(None, description="the response must match this")
    agent: AgentCheck | None = Field(None, description="also ask an agent on each server")

    @model_validator(mode="after")
    def _http_fields_need_http(self) -> HealthCheck:
        http_only = {"path", "method", "host", "expect_status"} & self.model_fields_set
        if self.type == "tcp" and http_only:
            raise ValueError(f"{', '.join(sorted(http_only))} apply to http checks only")
        return self


class Server(Strict):
    name: Name
    address: ServerAddress
    port: Port
    weight: int = Field(100, ge=0, le=256)
    backup: bool = False
    state: Literal["enabled", "drain", "maint"] = "enabled"
    maxconn: int | None = Field(None, ge=1, le=10_000_000)
    tls: bool = Field(False, description="connect to this server over TLS")
    check_interval: Duration | None = Field(None, description="overrides the health check's")
    rise: Count | None = Field(None, description="overrides the health check's")
    fall: Count | None = Field(None, description="overrides the health check's")
    slow_start: Duration | None = Field(None, description="ramp the weight up after coming up")
    send_proxy: SendProxy | None = Field(None, description="send the PROXY protocol header")


class Pool(Strict):
    name: Name
    balance: Literal["roundrobin", "leastconn", "source", "uri", "first"] = "roundrobin"
    health_check: Name | None = None
    sticky: Literal["none", "cookie", "source"] = "none"
    cookie_name: str = Field("SRVID", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    tls_verify: Literal["required", "none"] = "required"
    tls_ca_file: CaFile = "@system-ca"
    tls: PoolTls | None = Field(None, description="CA bundle, client certificate, SNI")
    error_pages: list[Name] = Field(
        default_factory=list, max_length=MAX_EXTRA, description="error_pages entries"
    )
    timeouts: PoolTimeouts | None = Field(None, description="server-side timeouts of this pool")
    default_server: ServerDefaults | None = Field(None, description="options of every server")
    # At least one server or server template: resolvers.resolver_errors says so.
    servers: list[Counted[Server]] = Field(max_length=MAX_SERVERS_PER_POOL)
    extra: list[Directive] = Field(default_factory=list, max_length=MAX_EXTRA)
    resolvers: Name | None = Field(
        None, description="resolvers section that keeps servers given by DNS name current"
    )
    resolve_prefer: Literal["ipv4", "ipv6"] = Field(
        "ipv4", description="address family to use when a name has both (with resolvers)"
    )
    server_templates: list[Counted[ServerTemplate]] = Field(
        default_factory=list,
        max_length=MAX_TEMPLATES_PER_POOL,
        description="server slots filled at runtime from DNS (SRV records); needs resolvers",
    )


class Route(Strict):
    host: HostMatch | None = None
    path_prefix: UriPath | None = None
    pool: Name

    @model_validator(mode="after")
    def _needs_a_match(self) -> Route:
        if self.host is None and self.path_prefix is None:
            raise ValueError("a route needs host, path_prefix or both")
        return self


class Frontend(Strict):
    name: Name
    vip_pair: Name
    vip: VipAddress | None = Field(None, description="defaults to the pair's first vip")
    port: Port
    mode: Literal["http", "tcp"] = "http"
    default_pool: Name | None = None
    routes: list[Counted[Route]] = Field(default_factory=list, max_length=MAX_ROUTES)
    rules: list[Counted[Rule]] = Field(
        default_factory=list,
        max_length=MAX_RULES,
        description="conditions -> action, read in order, before routes (model/routing.py)",
    )
    access: Access | None = Field(None, description="source addresses allowed / denied")
    rate_limit: RateLimit | None = Field(None, description="per client address, answered 429")
    tls: FrontendTls | None = None
    error_pages: list[Name] = Field(
        default_factory=list, max_length=MAX_EXTRA, description="error_pages entries"
    )
    maxconn: int | None = Field(None, ge=1, le=10_000_000)
    timeouts: FrontendTimeouts | None = Field(None, description="client-side timeouts")
    compression: Compression | None = Field(None, description="compress responses (http)")
    forwarded_for: bool = Field(True, description="add X-Forwarded-For (http)")
    logging: FrontendLogging | None = Field(None, description="log format, targets, request id")
    extra: list[Directive] = Field(default_factory=list, max_length=MAX_EXTRA)
    binds: list[Counted[Bind]] = Field(
        default_factory=list,
        max_length=MAX_BINDS,
        description="listeners besides the VIP: '*', IPv6, more ports, unix sockets",
    )
    accept_proxy: bool = Field(
        False, description="the VIP bind expects the PROXY protocol (binds[] say their own)"
    )


class LbModel(Single):
    """A whole environment: hosts, VIP pairs, health checks, pools and frontends."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, title="lbctl model (file format v1)"
    )

    settings: Settings = Settings()
    lb_hosts: list[Counted[LbHost]] = Field(min_length=1, max_length=MAX_HOSTS)
    vip_pairs: list[Counted[VipPair]] = Field(default_factory=list, max_length=MAX_HOSTS)
    health_checks: list[Counted[HealthCheck]] = Field(default_factory=list, max_length=MAX_POOLS)
    pools: list[Counted[Pool]] = Field(default_factory=list, max_length=MAX_POOLS)
    frontends: list[Counted[Frontend]] = Field(default_factory=list, max_length=MAX_FRONTENDS)
    resolvers: list[Counted[Resolver]] = Field(
        default_factory=list, max_length=MAX_RESOLVERS, description="DNS resolvers sections"
    )
    userlists: list[Counted[Userlist]] = Field(
        default_factory=list, max_length=MAX_USERLISTS, description="users with hashed passwords"
    )
    stats_pages: list[Counted[StatsPage]] = Field(
        default_factory=list, max_length=MAX_STATS_PAGES, description="HAProxy stats pages on VIPs"
    )
    certificates: list[Counted[Certificate]] = Field(
        default_factory=list, max_length=MAX_FILES, description="PEM chain + key, by name"
    )
    ca_bundles: list[Counted[CaBundle]] = Field(default_factory=list, max_length=MAX_FILES)
    crls: list[Counted[Crl]] = Field(default_factory=list, max_length=MAX_FILES)
    maps: list[Counted[MapFile]] = Field(default_factory=list, max_length=MAX_FILES)
    error_pages: list[Counted[ErrorPage]] = Field(default_factory=list, max_length=MAX_FILES)
