"""What each model page edits: its place in the document and the inputs of its form."""

from __future__ import annotations

from dataclasses import dataclass

from .forms import FormField as F


@dataclass(frozen=True)
class ItemSpec:
    """One kind of model item: a top-level list, or a list inside an item (servers, routes)."""

    key: str  # URL segment and document key: "pools", "servers"
    title: str  # "Pools"
    singular: str  # "pool"
    fields: list[F]
    columns: tuple[str, ...]  # field names shown in the list table
    named: bool = True  # items have a unique `name` (routes are positional)
    under: str = ""  # a child list inside an object of its parent: "keepalived"


LB_HOSTS = ItemSpec(
    "lb_hosts",
    "LB hosts",
    "LB host",
    [
        F("name", "Name", required=True, hint="also its Ansible inventory name"),
        F("address", "Address", required=True, hint="IPv4, e.g. 198.18.0.10"),
        F("interface", "Interface", required=True, hint="carries the VIPs, e.g. eth0"),
    ],
    ("name", "address", "interface"),
)

VIP_PAIRS = ItemSpec(
    "vip_pairs",
    "VIP pairs",
    "VIP pair",
    [
        F("name", "Name", required=True),
        F("hosts.0", "Preferred master", "select", required=True),
        F("hosts.1", "Backup", "select", required=True),
        F("mode", "Mode", "select", ("active-passive", "active-active"), "active-passive"),
        F("virtual_router_id", "Virtual router id", "int", required=True, hint="1-255"),
        F("vips", "VIPs", "words", required=True, hint="IP/prefix, comma separated", wide=True),
        F("advert_interval", "Advert interval", default="1s", hint="below 1s means VRRPv3"),
        F(
            "vrrp_version",
            "VRRP version",
            "select",
            ("", "2", "3"),
            hint="empty: automatic",
            numeric=True,
        ),
        F("preempt", "Preempt", "bool", default=True),
        F("preempt_delay", "Preempt delay", hint="e.g. 5s; empty: none"),
        F("unicast", "Unicast adverts", "bool", default=True),
        F("master_priority", "Master priority", "int", default=150),
        F("backup_priority", "Backup priority", "int", default=100),
        F("track_weight", "Track weight", "int", default=60, hint="0: FAULT when HAProxy fails"),
        F("authentication.type", "Auth type", "select", ("PASS", "AH"), "PASS"),
        F("authentication.password", "Auth password", "password", hint="VRRPv2 only, ≤ 8 chars"),
        # keepalived options (model/keepalived_options.py); scripts and tracked interfaces
        # are lists of their own, edited below the pair.
        F(
            "keepalived.advertised_vips",
            "Advertised VIPs",
            "select",
            ("all", "first"),
            "all",
            hint="first: adding a VIP causes no split brain",
        ),
        F("keepalived.vip_interface", "VIP interface", hint="empty: the hosts' interface"),
        F("keepalived.notify.master", "On MASTER run", hint="/path args", wide=True),
        F("keepalived.notify.backup", "On BACKUP run", hint="/path args", wide=True),
        F("keepalived.notify.fault", "On FAULT run", hint="/path args", wide=True),
        F("keepalived.notify.stop", "On stop run", hint="/path args", wide=True),
        F("keepalived.garp.master_delay", "GARP delay", default="1s", hint="second burst"),
        F("keepalived.garp.master_repeat", "GARP repeat", "int", default=3),
        F("keepalived.garp.master_refresh", "GARP refresh", default="60s", hint="while MASTER"),
    ],
    ("name", "hosts", "mode", "vips", "virtual_router_id"),
)

# A pair's own checks and tracked interfaces (vip_pairs[].keepalived.*).
TRACK_SCRIPTS = ItemSpec(
    "track_scripts",
    "Track scripts",
    "track script",
    [
        F("name", "Name", required=True),
        F("command", "Command", required=True, hint="/path args; no quotes, #, !, $", wide=True),
        F("interval", "Interval", default="2s", hint="whole seconds"),
        F("timeout", "Timeout", hint="whole seconds; empty: none"),
        F("weight", "Weight", "int", default=0, hint="priority lost on failure; 0: FAULT"),
        F("rise", "Rise", "int", default=2),
        F("fall", "Fall", "int", default=2),
    ],
    ("name", "command", "weight"),
    under="keepalived",
)

TRACK_INTERFACES = ItemSpec(
    "track_interfaces",
    "Tracked interfaces",
    "tracked interface",
    [
        F("name", "Interface", required=True),
        F("weight", "Weight", "int", default=0, hint="priority lost while down; 0: FAULT"),
    ],
    ("name", "weight"),
    under="keepalived",
)

HTTP = "type=http"  # fields of http checks only
TCP = "type=tcp"  # fields of tcp checks only
SEND_PROXY = ("", "v1", "v2")

HEALTH_CHECKS = ItemSpec(
    "health_checks",
    "Health checks",
    "health check",
    [
        F("name", "Name", required=True),
        F("type", "Type", "select", ("http", "tcp"), required=True),
        F("path", "Path", default="/", shown_when=HTTP),
        F("method", "Method", "select", ("GET", "HEAD", "OPTIONS"), "GET", shown_when=HTTP),
        F("host", "Host header", hint="optional", shown_when=HTTP),
        F("expect_status", "Expected status", "int", default=200, shown_when=HTTP),
        F("interval", "Interval", default="2s"),
        F("rise", "Rise", "int", default=2),
        F("fall", "Fall", "int", default=3),
        F("port", "Port", "int", hint="empty: the server's port"),
        F("send", "Send", hint="tcp: bytes to send, e.g. PING\\r\\n", shown_when=TCP),
        F("expect_string", "Expect text", hint="the response must contain it"),
        F("expect_regex", "Expect regex", hint="the response must match it"),
        F("agent.port", "Agent port", "int", hint="empty: no agent check"),
        F("agent.interval", "Agent interval", default="2s"),
    ],
    ("name", "type", "path", "interval"),
)

SERVERS = ItemSpec(
    "servers",
    "Servers",
    "server",
    [
        F("name", "Name", required=True),
        F("address", "Address", required=True, hint="IPv4, IPv6 or DNS name"),
        F("port", "Port", "int", required=True),
        F("weight", "Weight", "int", default=100, hint="0-256"),
        F("state", "State", "select", ("enabled", "drain", "maint"), "enabled"),
        F("maxconn", "Max connections", "int"),
        F("backup", "Backup", "bool", default=False),
        F("tls", "TLS to server", "bool", default=False),
        F("check_interval", "Check interval", hint="empty: the health check's"),
        F("rise", "Rise", "int", hint="empty: the health check's"),
        F("fall", "Fall", "int", hint="empty: the health check's"),
        F("slow_start", "Slow start", hint="e.g. 30s: ramp the weight up after coming up"),
        F("send_proxy", "Send PROXY protocol", "select", SEND_PROXY),
    ],
    ("name", "address", "port", "weight", "state", "backup"),
)

POOLS = ItemSpec(
    "pools",
    "Pools",
    "pool",
    [
        F("name", "Name", required=True),
        F(
            "balance",
            "Balance",
            "select",
            ("roundrobin", "leastconn", "source", "uri", "first"),
            "roundrobin",
        ),
        F("health_check", "Health check", "select", hint="empty: servers are not checked"),
        F("sticky", "Sticky", "select", ("none", "cookie", "source"), "none"),
        F("cookie_name", "Cookie name", default="SRVID"),
        F("tls_verify", "TLS verify", "select", ("required", "none"), "required"),
        F("tls_ca_file", "TLS CA file", default="@system-ca"),
        F("tls.ca_bundle", "TLS CA bundle", "select", hint="verify servers against it"),
        F("tls.client_certificate", "TLS client certificate", "select"),
        F("tls.sni", "TLS SNI", hint="server name sent (and verified), e.g. app.internal"),
        F("error_pages", "Error pages", "words", hint="names from error_pages"),
        F("timeouts.connect", "Connect timeout", hint="empty: settings.timeouts"),
        F("timeouts.server", "Server timeout", hint="e.g. 1h for databases"),
        F("timeouts.queue", "Queue timeout"),
        F("timeouts.tunnel", "Tunnel timeout", hint="WebSockets, CONNECT"),
        F("default_server.check_interval", "Servers: check interval", hint="empty: the check's"),
        F("default_server.rise", "Servers: rise", "int"),
        F("default_server.fall", "Servers: fall", "int"),
        F("default_server.slow_start", "Servers: slow start", hint="e.g. 30s"),
        F("default_server.send_proxy", "Servers: send PROXY protocol", "select", SEND_PROXY),
        F("default_server.maxconn", "Servers: max connections", "int", hint="per server"),
        F("default_server.maxqueue", "Servers: max queue", "int", hint="per server"),
        F("extra", "Extra directives", "lines", hint="one HAProxy directive per line", wide=True),
        F("resolvers", "Resolvers", "select", hint="servers by DNS name follow address changes"),
        F("resolve_prefer", "Resolve prefer", "select", ("ipv4", "ipv6"), "ipv4"),
    ],
    ("name", "balance", "health_check", "sticky"),
)

# Slots filled at runtime from DNS (model/resolvers.py), edited like a pool's servers.
SERVER_TEMPLATES = ItemSpec(
    "server_templates",
    "Server templates",
    "server template",
    [
        F("name", "Name prefix", required=True, hint="web gives slots web1, web2, ..."),
        F("count", "Slots", "int", required=True, hint="how many servers DNS may fill"),
        F(
            "dns_name",
            "DNS name",
            required=True,
            hint="SRV name, e.g. _http._tcp.app.service.consul, or a host name",
            wide=True,
        ),
        F("port", "Port", "int", hint="host names only: SRV records carry the port"),
        F("weight", "Weight", "int", default=100, hint="0-256"),
        F("tls", "TLS to servers", "bool", default=False),
    ],
    ("name", "count", "dns_name", "port"),
)

RESOLVERS = ItemSpec(
    "resolvers",
    "Resolvers",
    "resolver",
    [
        F("name", "Name", required=True),
        F("nameservers.0.address", "Nameserver", hint="IPv4/IPv6, e.g. 127.0.0.1"),
        F("nameservers.0.port", "Nameserver port", "int", default=53, hint="Consul: 8600"),
        F("nameservers.1.address", "Second nameserver", hint="optional; more in the model file"),
        F("nameservers.1.port", "Second nameserver port", "int", default=53),
        F(
            "parse_resolv_conf",
            "Host's resolv.conf",
            "bool",
            default=False,
            hint="also ask the nameservers in each LB host's /etc/resolv.conf",
        ),
        F("resolve_retries", "Resolve retries", "int", default=3),
        F("accepted_payload_size", "Accepted payload size", "int", default=8192, hint="bytes"),
        F("timeouts.resolve", "Resolve every", default="1s", hint="how fast a change is seen"),
        F("timeouts.retry", "Retry after", default="1s"),
        F("hold.valid", "Hold valid", default="10s"),
        F("hold.nx", "Hold NXDOMAIN", default="30s"),
        F("hold.other", "Hold other errors", default="30s"),
        F("hold.refused", "Hold refused", default="30s"),
        F("hold.timeout", "Hold timeout", default="30s"),
        F("hold.obsolete", "Hold obsolete", hint="empty: forget a vanished record at once"),
    ],
    ("name", "nameservers", "resolve_retries"),
)

ROUTES = ItemSpec(
    "routes",
    "Routes",
    "route",
    [
        F("host", "Host", hint="exact or *.example.com"),
        F("path_prefix", "Path prefix", hint="/v1 matches /v1 and /v1/..."),
        F("pool", "Pool", "select", required=True),
    ],
    ("host", "path_prefix", "pool"),
    named=False,
)

FRONTENDS = ItemSpec(
    "frontends",
    "Frontends",
    "frontend",
    [
        F("name", "Name", required=True),
        F("vip_pair", "VIP pair", "select", required=True),
        F("vip", "VIP", hint="empty: the pair's first VIP"),
        F("port", "Port", "int", required=True),
        F("mode", "Mode", "select", ("http", "tcp"), "http"),
        F("default_pool", "Default pool", "select"),
        F("tls.certificate", "TLS certificate", hint="PEM path on the LB host; empty: no TLS"),
        F(
            "tls.certificates",
            "TLS certificates",
            "words",
            hint="names from certificates, comma separated; the first is the default",
            wide=True,
        ),
        F("tls.min_version", "TLS min version", "select", ("", "TLSv1.2", "TLSv1.3")),
        F("tls.ciphers", "TLS ciphers", hint="TLS 1.2; empty: the global default"),
        F("tls.ciphersuites", "TLS 1.3 ciphersuites", hint="empty: the global default"),
        F("tls.hsts.max_age", "HSTS max-age", "int", hint="seconds; empty: no HSTS"),
        F("tls.hsts.include_subdomains", "HSTS subdomains", "bool", default=False),
        F("tls.client_verify.mode", "Client certificates", "select", ("", "required", "optional")),
        F("tls.client_verify.ca_bundle", "Client CA bundle", "select"),
        F("tls.client_verify.crl", "Client CRL", "select"),
        F("error_pages", "Error pages", "words", hint="names from error_pages"),
        F("access.allow", "Allow only sources", "words", hint="CIDRs; empty: everyone"),
        F("access.deny", "Deny sources", "words", hint="CIDRs, answered 403"),
        F("rate_limit.requests", "Rate limit: requests", "int", hint="per client, per period"),
        F("rate_limit.period", "Rate limit: period", hint="e.g. 10s"),
        F("rate_limit.connections", "Rate limit: connections", "int", hint="at once, per client"),
        F("maxconn", "Max connections", "int"),
        F("timeouts.client", "Client timeout", hint="empty: settings.timeouts"),
        F("timeouts.http_request", "HTTP request timeout", hint="http"),
        F("timeouts.http_keep_alive", "Keep-alive timeout", hint="http"),
        F("logging.enabled", "Logging", "bool", default=True),
        F("logging.format", "Log format", "select", ("", "http", "https", "tcp")),
        F("logging.custom_format", "Custom log format", hint="instead of the format", wide=True),
        F("logging.log_empty_connections", "Log empty connections", "bool", default=False),
        F("logging.request_id.header", "Request id header", hint="e.g. X-Request-ID; empty: none"),
        F("compression.algorithms", "Compression", "words", hint="e.g. gzip; empty: none"),
        F("compression.types", "Compressed types", "words", hint="empty: text, JS, JSON"),
        F("forwarded_for", "X-Forwarded-For", "bool", default=True),
        F("accept_proxy", "Accept PROXY protocol", "bool", default=False, hint="on the VIP"),
        F("extra", "Extra directives", "lines", hint="one HAProxy directive per line", wide=True),
    ],
    ("name", "vip_pair", "vip", "port", "mode", "default_pool"),
)

# Listeners besides the VIP (model/binds.py): an address and port, or a unix socket.
BINDS = ItemSpec(
    "binds",
    "Binds",
    "bind",
    [
        F("address", "Address", hint="*, ::, an IPv4 or IPv6 address; empty for a socket"),
        F("port", "Port", "int"),
        F("unix_socket", "Unix socket", hint="e.g. /run/haproxy/web.sock", wide=True),
        F("mode", "Socket mode", hint="octal, e.g. 660"),
        F("accept_proxy", "Accept PROXY protocol", "bool", default=False),
        F("tls", "TLS like the VIP", "bool", default=True, hint="when the frontend has TLS"),
    ],
    ("address", "port", "unix_socket", "accept_proxy"),
    named=False,
)

# A frontend's rules (model/routing.py): the common tests and every action, one rule per
# form; `when_any` and the rarer tests are edited in the model file or the API.
RULES = ItemSpec(
    "rules",
    "Rules",
    "rule",
    [
        F("name", "Name", hint="optional; names the rule's ACLs"),
        F("when.host", "When host", hint="exact or *.example.com"),
        F("when.path_prefix", "When path prefix", hint="whole segments: /v1, /v1/..."),
        F("when.path_begins", "When path begins", hint="raw prefix: /api matches /apiv2"),
        F("when.path", "When path is"),
        F("when.path_regex", "When path matches", hint="regular expression"),
        F("when.method", "When method", "words", hint="e.g. GET, POST"),
        F("when.header.name", "When header", hint="present, or equal to the next input"),
        F("when.header.equals", "Header equals"),
        F("when.source", "When source in", "words", hint="CIDRs, comma separated"),
        F("unless.source", "Unless source in", "words", hint="CIDRs, comma separated"),
        F("use_pool", "Use pool", "select", hint="one action per rule"),
        F("redirect.scheme", "Redirect to", "select", ("", "https")),
        F("redirect.location", "Redirect location", hint="exact URL"),
        F("redirect.prefix", "Redirect prefix", hint="e.g. https://www.example.com"),
        F(
            "redirect.code",
            "Redirect code",
            "select",
            ("", "301", "302", "303", "307", "308"),
            hint="empty: 302",
            numeric=True,
        ),
        F("deny.status", "Deny with status", "int", hint="e.g. 403"),
        F("respond.status", "Respond with status", "int", hint="e.g. 503"),
        F("respond.content_type", "Respond content type", hint="empty: text/plain"),
        F("respond.body", "Respond body", wide=True),
        F("respond.error_page", "Respond with error page", "select"),
        F("request_headers.set", "Set request headers", "pairs", hint="Name: value", wide=True),
        F("request_headers.delete", "Delete request headers", "words"),
        F("response_headers.set", "Set response headers", "pairs", hint="Name: value", wide=True),
        F("response_headers.delete", "Delete response headers", "words"),
        F("hsts.max_age", "HSTS max-age", "int", hint="seconds, e.g. 31536000"),
        F("basic_auth.userlist", "Basic auth user list", "select"),
    ],
    ("name", "conditions", "action"),
    named=False,
)

USERLISTS = ItemSpec(
    "userlists",
    "User lists",
    "user list",
    [F("name", "Name", required=True)],
    ("name",),
)

USERS = ItemSpec(
    "users",
    "Users",
    "user",
    [
        F("name", "Name", required=True),
        F(
            "password",
            "Password hash",
            "password",
            required=True,
            hint="a hash, never the password: mkpasswd -m sha-512 or openssl passwd -6",
            wide=True,
        ),
    ],
    ("name",),
)

STATS_PAGES = ItemSpec(
    "stats_pages",
    "Stats pages",
    "stats page",
    [
        F("name", "Name", required=True),
        F("vip_pair", "VIP pair", "select", required=True),
        F("vip", "VIP", hint="empty: the pair's first VIP"),
        F("port", "Port", "int", required=True),
        F("uri", "URI", default="/stats"),
        F("userlist", "User list", "select", hint="empty: anyone who reaches it"),
        F("refresh", "Refresh", hint="e.g. 10s; empty: no refresh"),
        F("admin", "Admin actions", "bool", default=False, hint="needs a user list"),
    ],
    ("name", "vip_pair", "port", "uri", "userlist"),
)

TOP_LEVEL = {
    s.key: s
    for s in (
        LB_HOSTS,
        VIP_PAIRS,
        HEALTH_CHECKS,
        POOLS,
        FRONTENDS,
        USERLISTS,
        STATS_PAGES,
        RESOLVERS,
    )
}
CHILDREN: dict[str, tuple[ItemSpec, ...]] = {
    "pools": (SERVERS, SERVER_TEMPLATES),
    "vip_pairs": (TRACK_SCRIPTS, TRACK_INTERFACES),
    "frontends": (RULES, ROUTES, BINDS),
    "userlists": (USERS,),
}
# Selects whose choices are the names of other items: field -> document list.
REFERENCES = {
    "hosts.0": "lb_hosts",
    "hosts.1": "lb_hosts",
    "health_check": "health_checks",
    "pool": "pools",
    "vip_pair": "vip_pairs",
    "default_pool": "pools",
    "use_pool": "pools",
    "basic_auth.userlist": "userlists",
    "userlist": "userlists",
    "respond.error_page": "error_pages",
    "tls.ca_bundle": "ca_bundles",
    "tls.client_certificate": "certificates",
    "tls.client_verify.ca_bundle": "ca_bundles",
    "tls.client_verify.crl": "crls",
    "resolvers": "resolvers",
}
