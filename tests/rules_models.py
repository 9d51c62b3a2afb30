"""Model documents with routing rules, access lists and rate limits, shared by tests."""

from __future__ import annotations

import copy
from typing import Any

# `openssl passwd -6 -salt lbctlsalt secret`: the lab logs in with user ops, password secret.
OPS_HASH = (
    "$6$lbctlsalt$lAaPRWhhAsrKQfP8unqaDg3EI2P7DJ./GOWqQgc.vPmyseYg3PpaS.uM9k/"
    "tYRB6N2.YfRPMghr4rquCiCwuZ0"
)

BASE: dict[str, Any] = {
    "lb_hosts": [
        {"name": "lb-a", "address": "198.18.0.10", "interface": "eth0"},
        {"name": "lb-b", "address": "198.18.0.11", "interface": "eth0"},
    ],
    "vip_pairs": [
        {
            "name": "edge",
            "hosts": ["lb-a", "lb-b"],
            "virtual_router_id": 51,
            "vips": ["198.18.0.100/24"],
        },
    ],
    "pools": [
        {"name": "app", "servers": [{"name": "app1", "address": "198.18.0.20", "port": 8080}]},
        {"name": "api", "servers": [{"name": "api1", "address": "198.18.0.21", "port": 8080}]},
    ],
    "userlists": [{"name": "ops", "users": [{"name": "ops", "password": OPS_HASH}]}],
    "frontends": [],
}

EVERY_KIND: list[dict[str, Any]] = [
    {
        "name": "to-https",
        "when": {"path_begins": "/secure"},
        "redirect": {"scheme": "https", "code": 301},
    },
    {
        "when": {"host": "old.example.com"},
        "redirect": {"prefix": "https://new.example.com", "code": 308, "keep_query": False},
    },
    {
        "when": {"path": "/moved"},
        "redirect": {"location": "https://example.com/new%20place?x=1", "code": 302},
    },
    {"name": "admin", "when": {"path_prefix": "/admin"}, "basic_auth": {"userlist": "ops"}},
    {
        "when": {"path_begins": "/private"},
        "unless": {"source": ["198.18.0.0/24"]},
        "deny": {"status": 403},
    },
    {
        "when": {"path": "/maintenance"},
        "respond": {
            "status": 503,
            "content_type": "text/html",
            "body": '<h1>Back soon # "really" \\o/ $HOME 100%</h1>',
        },
    },
    {
        "when": {"method": ["POST", "PUT"], "header": {"name": "X-Debug"}},
        "request_headers": {"set": {"X-Debug-Seen": "yes 100%"}, "delete": ["X-Debug"]},
    },
    {"hsts": {"max_age": 600, "include_subdomains": True}},
    {
        "when": {"header": {"name": "X-Trace", "equals": "a b"}},
        "response_headers": {"add": {"X-Traced": "by lbctl"}},
    },
    {
        "name": "api",
        "when_any": [
            {"host": "api.example.com"},
            {"host": "*.api.example.com", "path_prefix": "/v2"},
        ],
        "use_pool": "api",
    },
    {
        "when": {
            "host_regex": "^www[0-9]+\\.example\\.com$",
            "path_regex": "^/a b#c'?$".replace("'", ""),
        },
        "use_pool": "app",
    },
    {
        "when": {
            "path_ends": ".php",
            "query": {"name": "debug"},
            "cookie": {"name": "s", "equals": "1"},
        },
        "deny": {"status": 404},
    },
    {"when": {"tls": False, "dst_port": [80, 8080]}, "response_headers": {"set": {"X-Plain": "1"}}},
    {"when": {"sni": "*.example.com"}, "use_pool": "api"},
    {"when": {"header": {"name": "User-Agent", "matches": "(?i)bot"}}, "deny": {"status": 429}},
]


def model_with(*frontends: dict[str, Any], **top: Any) -> dict[str, Any]:
    """Return BASE with these frontends (each defaults to vip_pair edge, http, port 80)."""
    data = copy.deepcopy(BASE)
    for i, fe in enumerate(frontends):
        data["frontends"].append({"name": f"fe{i}", "vip_pair": "edge", "port": 80 + i, **fe})
    data.update(copy.deepcopy(top))
    return data
