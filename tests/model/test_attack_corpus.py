"""Hostile input: every attack is refused with a clear error naming the field, in bounded
time and memory (bounds.py) -- or, where a field legitimately takes a character, rendered
without adding a line to any file.

test_injection.py appends a few payloads to the values of one model; this corpus finds the
fields in the schema itself (a field added later is attacked without being listed here),
adds line separators, look-alikes, invisible characters and 100k-character values, names
used as file names, and attacks on whole documents: size, aliases, nesting, encodings,
tags, keys and sheer numbers of errors.
"""

from __future__ import annotations

import copy
import functools
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from controlplane.cli import main
from controlplane.model import dump_document_yaml, load_model, load_model_file, validate_data
from controlplane.model.config_files import FileContents, declared_files
from controlplane.model.schema import LbModel, Timeouts
from controlplane.model.types import NAME_PATTERN
from controlplane.render import render_model
from tests.model.bounds import MEGABYTES, SECONDS, Verdict, isolated, measured
from tests.model.schema_paths import (
    Loc,
    document_sites,
    field_path,
    get,
    is_list,
    json_types,
    model_classes,
    pattern_of,
)
from tests.rules_models import OPS_HASH
from tests.support import MODELS, load_yaml

MAX_MESSAGE_CHARS = 1000  # an unknown reference lists 8 known names


def _base_document() -> dict[str, Any]:
    """Return the richest example model with every optional text field set as well."""
    document = load_yaml(MODELS / "sticky_tls_tcp.yaml")
    settings = document["settings"]
    settings.update(chroot="/var/lib/haproxy", log_target="/dev/log", admin_address="127.0.0.1")
    settings["timeouts"] = dict.fromkeys(Timeouts.model_fields, "7s")
    pair = document["vip_pairs"][0]
    pair["mode"] = "active-passive"
    pair["authentication"]["type"] = "PASS"
    pair["keepalived"] = {
        "track_scripts": [{"name": "db", "command": "/usr/local/bin/check-db --port 5432",
                           "interval": "2s", "timeout": "1s", "weight": 0}],
        "track_interfaces": [{"name": "eth1"}],
        "notify": {state: f"/usr/local/bin/on-{state} x" for state in
                   ("master", "backup", "fault", "stop")},
        "vip_interface": "eth1",
        "advertised_vips": "first",
        "garp": {"master_delay": "2s", "master_refresh": "30s", "lower_prio_delay": "2s"},
    }  # fmt: skip
    settings["keepalived"] = {"garp_interval": "1ms", "gna_interval": "1ms"}
    document["health_checks"][0]["host"] = "health.example.com"
    document["pools"][0].update(tls_verify="required", tls_ca_file="/etc/ssl/lbctl/ca.pem")
    document["frontends"][0].update(vip="198.18.1.100", mode="http")
    # A line no typed field writes: an HSTS header would get validate's extra advice.
    document["frontends"][0]["extra"] = ["http-request set-var(txn.host) req.hdr(host)"]
    _add_tls_files(document)
    _add_rules(document)
    _add_discovery(document)
    _add_proxies(document)
    return document


def _add_proxies(document: dict[str, Any]) -> None:
    """Stats page, logging, timeouts, server options, checks and tuning (issue 14)."""
    settings = document["settings"]
    settings["extra"] = ["tune.ssl.maxrecord 1400"]  # a tune item without a typed field
    settings.update(nbthread=2, tune={"bufsize": 32768, "ssl_lifetime": "5m"})
    document["stats_pages"] = [{
        "name": "ops", "vip_pair": "public", "vip": "198.18.1.100", "port": 9000,
        "uri": "/haproxy?stats", "userlist": "ops", "refresh": "10s", "admin": True,
    }]  # fmt: skip
    checks = {c["name"]: c for c in document["health_checks"]}
    checks["http-ok"].update(
        expect_string="ready # now", expect_regex="^ok\\s",
        agent={"port": 9999, "interval": "3s", "send": "status\\n"},
    )  # fmt: skip
    checks["tcp-ok"].update(send="PING\\r\\n", expect_string="+PONG")
    sessions = next(p for p in document["pools"] if p["name"] == "sessions")
    sessions["timeouts"] = dict.fromkeys(
        ("connect", "server", "server_fin", "queue", "tunnel", "check"), "9s"
    )
    sessions["default_server"] = {
        "check_interval": "1s", "rise": 2, "fall": 2, "slow_start": "30s",
        "send_proxy": "v2", "maxconn": 100, "maxqueue": 10,
    }  # fmt: skip
    sessions["servers"][0].update(
        check_interval="500ms", rise=3, fall=1, slow_start="10s", send_proxy="v1"
    )
    https, http = document["frontends"][0], document["frontends"][1]
    https["timeouts"] = dict.fromkeys(
        ("client", "client_fin", "http_request", "http_keep_alive"), "8s"
    )
    https["compression"] = {"algorithms": ["gzip"], "types": ["text/html"]}
    https["logging"] = {
        "format": "https", "log_empty_connections": True,
        "targets": [{"address": "198.18.1.5:514", "facility": "local1", "level": "info",
                     "format": "rfc5424"}],
        "request_id": {"header": "X-Request-ID", "format": "%{+X}o%ci:%cp_%Ts"},
    }  # fmt: skip
    http["logging"] = {"custom_format": "%ci %ST %B {%[capture.req.hdr(0)]}", "enabled": True}


def _add_discovery(document: dict[str, Any]) -> None:
    """Resolvers, servers that follow DNS, server templates and binds (issue 14)."""
    document["resolvers"] = [{
        "name": "dc",
        "nameservers": [{"address": "127.0.0.1", "port": 8600}, {"address": "2001:db8::53"}],
        "resolve_retries": 3, "accepted_payload_size": 8192,
        "timeouts": {"resolve": "1s", "retry": "1s"},
        "hold": {"valid": "10s", "nx": "30s", "other": "30s", "refused": "30s",
                 "timeout": "30s", "obsolete": "5s"},
    }]  # fmt: skip
    pools = {p["name"]: p for p in document["pools"]}
    pools["shop"].update(resolvers="dc", resolve_prefer="ipv6")
    pools["api"].update(
        resolvers="dc",
        server_templates=[
            {"name": "web", "count": 3, "dns_name": "_https._tcp.api.service.consul", "tls": True},
            {"name": "alt", "count": 2, "dns_name": "alt.service.consul", "port": 8443},
        ],
    )
    document["frontends"][1]["binds"] = [
        {"address": "*", "port": 8081},
        {"address": "::", "port": 8082, "accept_proxy": True},
        {"unix_socket": "/run/haproxy/http.sock", "mode": "660", "tls": False},
    ]


def _add_rules(document: dict[str, Any]) -> None:
    """Routing rules with every test and action, access lists and a rate limit (issue 14)."""
    ops = {"name": "ops", "users": [{"name": "ops", "password": OPS_HASH}]}
    document.setdefault("userlists", [ops])
    every_test = {
        "host": "www.example.com",
        "host_regex": "^www[0-9]*\\.example\\.com$",
        "path": "/x",
        "path_begins": "/api",
        "path_prefix": "/v1",
        "path_ends": ".php",
        "path_regex": "^/a",
        "method": ["GET"],
        "header": {"name": "X-A", "equals": "a b"},
        "query": {"name": "q", "equals": "1"},
        "cookie": {"name": "c", "equals": "2"},
        "source": ["198.18.0.0/15"],
        "sni": "www.example.com",
        "dst_port": [80],
        "tls": False,
    }
    document["frontends"][1].update(
        access={"allow": ["198.18.0.0/15"], "deny": ["198.18.9.0/24"]},
        rate_limit={"requests": 100, "period": "10s", "connections": 20, "expire": "10m"},
        rules=[
            {"when": {"path": "/a"}, "redirect": {"location": "https://example.com/a"}},
            {"when": {"path": "/b"}, "redirect": {"prefix": "https://example.com", "code": 308}},
            {"when": {"path": "/c"}, "redirect": {"scheme": "https", "code": 301}},
            {"when": {"path": "/d"},
             "respond": {"status": 503, "content_type": "text/html", "body": "down # now"}},
            {"when": {"path": "/e"}, "respond": {"error_page": "maintenance"}},
            {"when": {"path": "/f"}, "request_headers": {"set": {"X-A": "1"}, "delete": ["X-C"]}},
            {"when": {"path": "/g"}, "response_headers": {"add": {"X-B": "2"}}},
            {"when": {"path": "/h"}, "basic_auth": {"userlist": "ops", "realm": "Ops area"}},
            {"when": {"path": "/i"}, "hsts": {"max_age": 600}},
            {"when": {"path": "/j"}, "deny": {"status": 429}},
            {"name": "every-test", "when": every_test,
             "unless": {"header": {"name": "X-B", "matches": "^b"}}, "use_pool": "shop"},
        ],
    )  # fmt: skip


def _add_tls_files(document: dict[str, Any]) -> None:
    """Declared files, frontend TLS v2, pool TLS and the global TLS defaults (issue 13)."""
    ciphers, suites = "ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"
    document["settings"]["files_dir"] = "/etc/haproxy/lbctl"
    document["settings"]["tls"] = {
        "bind_min_version": "TLSv1.2", "bind_ciphers": ciphers, "bind_ciphersuites": suites,
        "server_min_version": "TLSv1.2", "server_ciphers": ciphers, "server_ciphersuites": suites,
    }  # fmt: skip
    document["certificates"] = [
        {"name": "site", "file": "certs/site.pem"},
        {"name": "www", "acme": {"domains": ["www.example.com"],
                                 "contact": "mailto:ops@example.com",
                                 "directory": "https://acme.example.com/directory"}},
    ]  # fmt: skip
    document["ca_bundles"] = [{"name": "clients", "file": "ca/clients.pem"}]
    document["crls"] = [{"name": "clients", "file": "ca/clients.crl.pem"}]
    document["maps"] = [{"name": "hosts", "file": "maps/hosts.map"}]
    document["error_pages"] = [{"name": "maintenance", "status": 503, "file": "errors/503.http"}]
    document["pools"].append({
        "name": "api",
        "servers": [{"name": "api1", "address": "198.18.1.40", "port": 443, "tls": True}],
        "tls": {"ca_bundle": "clients", "client_certificate": "site", "sni": "api.internal"},
        "error_pages": ["maintenance"],
    })  # fmt: skip
    document["frontends"].append({
        "name": "tls-v2", "vip_pair": "public", "vip": "198.18.1.100", "port": 8443,
        "default_pool": "api", "error_pages": ["maintenance"],
        "tls": {"certificates": ["site"], "min_version": "TLSv1.2", "ciphers": ciphers,
                "ciphersuites": suites, "hsts": {"max_age": 600, "include_subdomains": True},
                "client_verify": {"mode": "required", "ca_bundle": "clients", "crl": "clients"}},
    })  # fmt: skip


def _stand_in_contents(model: LbModel) -> FileContents:
    """Some text for every declared file: the corpus attacks the model, not the files."""
    return FileContents({(d.kind, d.name): "x\n" for d in declared_files(model)})


BASE = _base_document()
# Where each field first appears in BASE, and where each model class first does.
FIELD_SITES = {}
MODEL_SITES: dict[type[BaseModel], Loc] = {}
for _site in document_sites(BASE):
    FIELD_SITES.setdefault((_site.model, _site.key), _site)
    MODEL_SITES.setdefault(_site.model, _site.loc)


def _holds_text(annotation: Any) -> bool:
    """Return whether a field takes a string, or a list of strings."""
    if str in json_types(annotation):
        return True
    return any(
        typing.get_origin(arg) is list and _holds_text(typing.get_args(arg)[0])
        for arg in [annotation, *typing.get_args(annotation)]
    )


ALL_FIELDS = [(model, key) for model in model_classes() for key in model.model_fields]
TEXT_FIELDS = [(m, k) for m, k in ALL_FIELDS if _holds_text(m.model_fields[k].annotation)]
NAME_FIELDS = [(m, k) for m, k in TEXT_FIELDS if pattern_of(m, k) == NAME_PATTERN]
# Text fields holding an absolute file path on the LB host. A new field whose example value
# is a path must be listed here or in NOT_FILES (test_every_path_field_is_classified).
FILE_FIELDS = {("Settings", "chroot"), ("FrontendTls", "certificate"), ("Pool", "tls_ca_file")}
FILE_FIELDS |= {("Settings", "files_dir")}
# A pair's scripts: an executable's path, then its arguments.
FILE_FIELDS |= {("TrackScript", "command")}
FILE_FIELDS |= {("NotifyScripts", state) for state in ("master", "backup", "fault", "stop")}
NOT_FILES = {
    ("Settings", "log_target"),  # a syslog socket or address
    ("HealthCheck", "path"),  # URL paths
    ("Route", "path_prefix"),
    ("Match", "path"),
    ("Match", "path_begins"),
    ("Match", "path_prefix"),
    ("Bind", "unix_socket"),  # a socket HAProxy creates: a file name in /run/haproxy/ only
    ("StatsPage", "uri"),
}


def _field_id(field: tuple[type[BaseModel], str]) -> str:
    return f"{field[0].__name__}.{field[1]}"


def _with_value(
    model: type[BaseModel], key: str, value_for: Callable[[Any], Any]
) -> tuple[dict[str, Any], str]:
    """Return a copy of BASE with one field (a list field: its first item) replaced, and
    the path an error about it must carry. `value_for` gets the value it replaces."""
    document = copy.deepcopy(BASE)
    site = FIELD_SITES.get((model, key))
    loc = site.loc if site else MODEL_SITES[model]
    container = get(document, loc)
    current = container.get(key, [""] if is_list(model.model_fields[key].annotation) else "")
    if isinstance(current, list) and current:
        container[key] = [value_for(current[0]), *current[1:]]
        return document, field_path((*loc, key, 0), document)
    container[key] = value_for(current)
    return document, field_path((*loc, key), document)


def _readable(message: str) -> bool:
    """A clear error is one printable line of reasonable length."""
    return len(message) <= MAX_MESSAGE_CHARS and message.isprintable()


def _refusal_problem(verdict: Verdict, path: str) -> str | None:
    """Return what is wrong with a verdict that should be a refusal naming `path`."""
    if not verdict.within_budget:
        return f"over {SECONDS} s / {MEGABYTES} MB: {verdict}"
    if verdict.errors is None:
        return f"not refused with ModelInvalid: {verdict}"
    if path not in [e.path for e in verdict.errors]:
        return f"refused without naming {path}: {verdict}"
    unclear = [str(e)[:120] for e in verdict.errors if not _readable(str(e))]
    return f"unclear message: {unclear}" if unclear else None


# --- directive injection through every text field ---------------------------------------

PAYLOADS = {
    "newline": "\n",
    "directive-after-newline": "\n    bind :1",
    "crlf": "\r\n",
    "carriage-return": "\r",
    "vertical-tab": "\x0b",
    "form-feed": "\x0c",
    "next-line-U+0085": "\x85",
    "line-separator-U+2028": "\u2028",
    "paragraph-separator-U+2029": "\u2029",
    "nul": "\x00",
    "escape-sequence": "\x1b[2J",
    "delete": "\x7f",
    "tab": "\tx",
    "hash": " #x",
    "bare-hash": "#",
    "double-quote": '"',
    "single-quote": "'",
    "backslash": "\\",
    "space": " x",
    "zero-width-space": "\u200b",
    "zero-width-joiner": "\u200d",
    "byte-order-mark": "\ufeff",
    "right-to-left-override": "\u202e",
    "fullwidth-hash": "\uff03",
    "fullwidth-space": "\u3000",
    "fullwidth-digit": "\uff11",
    "cyrillic-a": "\u0430",
    "combining-accent": "\u0301",
    "very-long": "a" * 100_000,
}
LINE_BREAKING = "\n\r\x0b\x0c\x85\u2028\u2029\x00"


def test_the_base_document_is_valid_and_sets_every_text_field():
    assert validate_data(copy.deepcopy(BASE)).warnings == []
    unset = [_field_id(f) for f in TEXT_FIELDS if f not in FIELD_SITES]
    assert unset == [], "give these fields a realistic value in _base_document()"


def test_text_fields_are_found_in_the_schema():
    found = {_field_id(f) for f in TEXT_FIELDS}
    assert {"Settings.extra", "Timeouts.connect", "VipPair.hosts", "Route.host"} <= found
    assert len(TEXT_FIELDS) >= 45


@pytest.mark.parametrize("field", TEXT_FIELDS, ids=_field_id)
def test_injection_through_a_text_field_is_refused_or_harmless(field):
    problems = []
    for name, payload in PAYLOADS.items():
        for where, attach in (
            ("after", lambda v, p=payload: f"{v}{p}"),
            ("before", lambda v, p=payload: f"{p}{v}"),
        ):
            document, path = _with_value(*field, attach)
            verdict = measured(lambda document=document: validate_data(document))
            if verdict.other == "accepted" and not any(c in payload for c in LINE_BREAKING):
                problem = _harm(document)
            else:
                problem = _refusal_problem(verdict, path)
            if problem:
                problems.append(f"{name} {where}: {problem}")
    assert problems == []


def _rendered_lines(document: dict[str, Any]) -> list[list[str]]:
    model = validate_data(document).model
    rendered = render_model(model, _stand_in_contents(model))
    return [text.split("\n") for host in rendered.hosts for text in host.files.values()]


@functools.cache
def _base_lines() -> list[list[str]]:
    return _rendered_lines(BASE)


def _harm(document: dict[str, Any]) -> str | None:
    """Return how an accepted value changed the shape of the rendered files, if it did."""
    try:
        files = _rendered_lines(document)
    except ValueError as exc:  # render's own line-break guard: the model let it through
        return f"accepted, then refused by render: {exc}"
    if [len(f) for f in files] != [len(f) for f in _base_lines()]:
        return "accepted and adds a line to a rendered file"
    if any(c in line for f in files for line in f for c in LINE_BREAKING):
        return "accepted and writes a line-breaking character"
    return None


def test_a_value_a_field_legitimately_takes_stays_on_its_own_line():
    # `extra` takes quotes, spaces, '#' and backslashes (directives need them); HAProxy
    # 2.6 does not join a line ending in a backslash with the next one.
    document = copy.deepcopy(BASE)
    document["settings"]["extra"] = ['description "a b" #c \\']
    assert _harm(document) is None


# --- wrong types everywhere --------------------------------------------------------------

WRONG_VALUES = [None, 7, 1.5, True, "x", [], {}, [["nested"]], {"a": {"b": 1}}]


@pytest.mark.parametrize("field", ALL_FIELDS, ids=_field_id)
def test_a_wrong_type_is_refused_naming_the_field(field):
    model, key = field
    annotation = model.model_fields[key].annotation
    attempts = [
        (*_replaced(model, key, copy.deepcopy(v)), v)
        for v in WRONG_VALUES
        if type(v) not in json_types(annotation)
    ]
    if is_list(annotation):  # and each item
        attempts += [
            (*_with_value(model, key, lambda _, v=v: copy.deepcopy(v)), v)
            for v in WRONG_VALUES
            if type(v) not in _item_types(annotation)
        ]
    problems = []
    for document, path, wrong in attempts:
        problem = _refusal_problem(measured(lambda d=document: validate_data(d)), path)
        if problem:
            problems.append(f"{path} = {wrong!r}: {problem}")
    assert problems == []


def _replaced(model: type[BaseModel], key: str, value: Any) -> tuple[dict[str, Any], str]:
    document = copy.deepcopy(BASE)
    site = FIELD_SITES.get((model, key))
    loc = site.loc if site else MODEL_SITES[model]
    get(document, loc)[key] = value
    return document, field_path((*loc, key), document)


def _item_types(annotation: Any) -> set[type]:
    for arg in [annotation, *typing.get_args(annotation)]:
        if typing.get_origin(arg) is list:
            return json_types(typing.get_args(arg)[0])
    return set()


# --- names and paths used as file names -------------------------------------------------

TRAVERSALS = [
    "../x",
    "../../etc/passwd",
    "/etc/passwd",
    ".",
    "..",
    "a/b",
    "x/..",
    "..\\x",
    "~root",
    "%2e%2e%2f",
    "a\x00b",
    "",
]


@pytest.mark.parametrize("field", NAME_FIELDS, ids=_field_id)
def test_a_name_cannot_traverse_a_path(field):
    problems = []
    for traversal in TRAVERSALS:
        document, path = _with_value(*field, lambda _, t=traversal: t)
        problem = _refusal_problem(measured(lambda d=document: validate_data(d)), path)
        if problem:
            problems.append(f"{traversal!r}: {problem}")
    assert problems == []


def test_every_path_field_is_classified():
    path_valued = {
        (m.__name__, k)
        for (m, k), site in FIELD_SITES.items()
        if isinstance(get(BASE, site.field_loc), str) and get(BASE, site.field_loc).startswith("/")
    }
    assert path_valued == FILE_FIELDS | NOT_FILES


FILE_TRAVERSALS = ["/etc/haproxy/../../etc/shadow", "/a/./b", "/a/..", "/..", "/.", "relative/x"]


@pytest.mark.parametrize("field", sorted(FILE_FIELDS), ids="{0[0]}.{0[1]}".format)
def test_a_file_path_cannot_climb_out_of_its_folder(field):
    model = next(m for m in model_classes() if m.__name__ == field[0])
    problems = []
    for traversal in FILE_TRAVERSALS:
        document, path = _with_value(model, field[1], lambda _, t=traversal: t)
        problem = _refusal_problem(measured(lambda d=document: validate_data(d)), path)
        if problem:
            problems.append(f"{traversal!r}: {problem}")
    assert problems == []
    # An absolute path is what these fields are for; it stays one argument on one line.
    document, _ = _with_value(model, field[1], lambda _: "/etc/passwd")
    assert _harm(document) is None


@pytest.mark.parametrize("name", ["../escape", "../../tmp/x", "/tmp/abs", "..", "a/b"])
def test_render_writes_nothing_for_a_host_named_like_a_path(tmp_path: Path, name: str):
    document = copy.deepcopy(BASE)
    document["lb_hosts"][0]["name"] = name
    model = tmp_path / "work" / "lb.yaml"
    model.parent.mkdir()
    model.write_text(dump_document_yaml(document))
    result = CliRunner().invoke(main, ["render", str(model), "--out", str(tmp_path / "work/out")])
    assert result.exit_code == 1
    assert "lb_hosts[0].name: must be 1-63 ASCII letters" in result.stderr
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "work",
        "work/lb.yaml",
    ]


# --- whole documents --------------------------------------------------------------------

HOSTS = "lb_hosts: [{name: a, address: 198.18.0.1, interface: eth0}]\n"


@dataclass(frozen=True)
class Attack:
    """A hostile document, built in the test, and a word its refusal must contain."""

    document: Callable[[], str | bytes]
    says: str
    source: str = "attack.yaml"
    never: str = ""  # ...and a text it must not contain


def _bomb(levels: int = 9, width: int = 9, where: str = "settings: {extra: *l8}") -> str:
    lines = ["l0: &l0 [" + ",".join(["x"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]")
    return HOSTS + "\n".join(lines) + "\n" + where + "\n"


def _mapping_bomb() -> str:
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: x" for j in range(9)) + "}"]
    for i in range(1, 9):
        lines.append(f"m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i - 1}" for j in range(9)) + "}")
    return HOSTS + "\n".join(lines) + "\n"


def _near_miss_references(count: int = 3000) -> str:
    """Many pools with long similar names, and frontends that each miss one by a letter."""
    stem = "pool-" + "ab" * 26
    document = {
        "lb_hosts": [{"name": "a", "address": "198.18.0.1", "interface": "eth0"}],
        "vip_pairs": [
            {"name": "p", "hosts": ["a", "a"], "virtual_router_id": 1, "vips": ["198.18.1.1/24"]}
        ],
        "pools": [
            {
                "name": f"{stem}{i:04d}",
                "servers": [{"name": "s", "address": "198.18.2.1", "port": 80}],
            }
            for i in range(count)
        ],
        "frontends": [
            {"name": f"fe{i}", "vip_pair": "p", "port": 1 + i, "default_pool": f"{stem}{i:04d}x"}
            for i in range(count)
        ],
    }
    return json.dumps(document)


def _clashing_binds(frontends: int, binds: int) -> str:
    """Return a model whose frontends all bind `*:80` again and again (issue 14's binds)."""
    document = load_yaml(MODELS / "active_passive.yaml")
    first = document["frontends"][0]
    document["frontends"] = [
        {"name": f"f{i}", "vip_pair": first["vip_pair"], "port": 1000 + i,
         "default_pool": first.get("default_pool") or document["pools"][0]["name"],
         "binds": [{"address": "*", "port": 80}] * binds}
        for i in range(frontends)
    ]  # fmt: skip
    return json.dumps(document)


ATTACKS = {
    "over 16 MiB": Attack(lambda: b"#" * (16 * 2**20) + b"\n" + HOSTS.encode(), "16 mib"),
    "over 16 MiB of JSON": Attack(
        lambda: '{"lb_hosts": []' + " " * (16 * 2**20) + "}", "16 mib", "attack.json"
    ),
    "over 16 MiB of pools": Attack(
        lambda: HOSTS + "pools:\n" + "  - {name: p, servers: [{name: s, port: 1}]}\n" * 400_000,
        "16 mib",
    ),
    "alias bomb in a field": Attack(_bomb, "alias"),
    "alias bomb of mappings": Attack(_mapping_bomb, "alias"),
    "alias before its anchor": Attack(lambda: HOSTS + "a: &a [*a]\n", ""),
    "block mappings 5000 deep": Attack(
        lambda: "".join(" " * i + f"k{i}:\n" for i in range(5000)) + " " * 5000 + "x\n", "nest"
    ),
    "compact sequences 100k deep": Attack(lambda: "- " * 100_000 + "x\n", "nest"),
    "complex keys 100k deep": Attack(lambda: "? " * 100_000 + "x\n", "nest"),
    "JSON objects 100k deep": Attack(
        lambda: '{"a":' * 100_000 + "1" + "}" * 100_000, "nest", "attack.json"
    ),
    "nested lists inside a field": Attack(
        lambda: HOSTS + "settings: {extra: " + "[" * 60 + "]" * 60 + "}\n", "settings.extra[0]"
    ),
    "Latin-1 byte in a name": Attack(
        lambda: HOSTS.replace("name: a", "name: caf\xe9").encode("latin-1"), "utf-8"
    ),
    "UTF-16 with a byte order mark": Attack(lambda: HOSTS.encode("utf-16"), "utf-8"),
    "overlong encoding of '/'": Attack(lambda: HOSTS.encode() + b"x: \xc0\xaf\n", "utf-8"),
    "encoded surrogate": Attack(lambda: HOSTS.encode() + b"x: \xed\xa0\x80\n", "utf-8"),
    "truncated sequence at the end": Attack(lambda: HOSTS.encode() + b"x: \xe2\x82", "utf-8"),
    "NUL byte in a value": Attack(
        lambda: HOSTS.replace("name: a", "name: a\x00b").encode(), "character"
    ),
    "Python object tag": Attack(
        lambda: HOSTS.replace("name: a", "name: !!python/object/apply:os.getcwd []"),
        "lb_hosts[0].name",
    ),
    "binary tag": Attack(
        lambda: HOSTS.replace("name: a", "name: !!binary aGVsbG8="), "lb_hosts[0].name"
    ),
    "5000-digit number in YAML": Attack(
        lambda: HOSTS + "settings: {maxconn: " + "9" * 5000 + "}", "settings.maxconn"
    ),
    "a list at the top level": Attack(lambda: "- lb_hosts\n", "mapping"),
    "an empty document": Attack(lambda: "", "mapping"),
    "two documents": Attack(lambda: HOSTS + "---\n" + HOSTS, ""),
    "3000 near-miss references": Attack(_near_miss_references, "unknown pool", "attack.json"),
    "flow mappings 60k deep": Attack(lambda: "a: " + "{a: " * 60_000 + "1" + "}" * 60_000, "nest"),
    "a 1 MB string behind 400 aliases": Attack(
        lambda: HOSTS + 's: &s "' + "x" * 2**20 + '"\nl: [' + ",".join(["*s"] * 400) + "]\n",
        "alias",
    ),
    "18 MiB of UTF-8 given as text": Attack(lambda: "x: " + "\xe9" * 9 * 2**20 + "\n", "16 mib"),
    "an integer past 64 bits in YAML": Attack(
        lambda: HOSTS + "settings: {maxconn: 18446744073709551616}\n",
        "settings.maxconn",
        never="u128",
    ),
    "5000-digit number in JSON": Attack(
        lambda: '{"settings": {"maxconn": ' + "9" * 5000 + "}}",
        "settings.maxconn",
        "attack.json",
    ),
    "unknown key holding '['": Attack(lambda: HOSTS.replace("eth0}", 'eth0, "ab[c": 1}'), "ab[c"),
    "boolean key": Attack(
        lambda: HOSTS.replace("eth0}", "eth0, true: 1}"), "lb_hosts[a]", never="[1]"
    ),
    # Many errors for few bytes: pydantic would build every one (error_budget.py).
    "500k wrong values in 1 MB": Attack(
        lambda: HOSTS + "settings: {extra: [" + ",".join(["1"] * 500_000) + "]}\n",
        "settings.extra",
    ),
    "500k wrong vips in 1 MB": Attack(
        lambda: '{"vip_pairs": [{"vips": [' + ",".join(["0"] * 500_000) + "]}]}",
        "vip_pairs[0].vips",
        "attack.json",
    ),
    "200k servers that are not mappings": Attack(
        lambda: '{"pools": [{"name": "p", "servers": [' + ",".join(["0"] * 200_000) + "]}]}",
        "pools[p].servers[0]",
        "attack.json",
    ),
    "100k pools with a wrong port each": Attack(
        lambda: json.dumps(
            {"pools": [{"name": f"p{i}", "servers": [{"port": 0}]} for i in range(100_000)]}
        ),
        "only the first 200",
        "attack.json",
    ),
    "201 wrong ports after 40k valid pools": Attack(
        lambda: json.dumps(
            {
                "pools": [
                    {"name": f"p{i}", "servers": [{"name": "s", "address": "1.2.3.4", "port": 80}]}
                    for i in range(40_000)
                ]
                + [{"name": f"b{i}", "servers": [{"port": 0}]} for i in range(201)]
            }
        ),
        "pools[b0].servers[0].port",
        "attack.json",
    ),
    "64k binds of one address and port": Attack(
        lambda: _clashing_binds(1_000, 64), "is already", "attack.json"
    ),
    "100k unknown keys in one object": Attack(
        lambda: json.dumps({"settings": {f"k{i}": 1 for i in range(100_000)}}),
        "settings: has 100,000 keys",
        "attack.json",
    ),
    "escape sequence in a key": Attack(
        lambda: HOSTS.replace("eth0}", 'eth0, "\\ec owned\\r": 1}'), "unknown key"
    ),
}


def _document_problem(attack: Attack) -> str | None:
    document = attack.document()
    verdict = isolated(lambda: load_model(document, attack.source))
    if not verdict.within_budget:
        return f"over {SECONDS} s / {MEGABYTES} MB: {verdict}"
    if verdict.errors is None:
        return f"not refused with ModelInvalid: {verdict}"
    text = "\n".join(str(e) for e in verdict.errors)
    if not all(_readable(str(e)) for e in verdict.errors):
        return f"unclear message: {text[:300]!r}"
    if attack.says not in text.lower() and attack.says not in text:
        return f"the refusal does not mention {attack.says!r}: {text[:300]}"
    if attack.never and attack.never in text:
        return f"the refusal says {attack.never!r}: {text[:300]}"
    return None


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_a_hostile_document_is_refused_in_bounded_time_and_memory(attack: Attack):
    assert _document_problem(attack) is None


def test_a_tag_never_runs_anything(tmp_path: Path):
    marker = tmp_path / "ran"
    text = HOSTS.replace("name: a", f'name: !!python/object/apply:os.mkdir ["{marker}"]')
    assert isolated(lambda: load_model(text)).errors
    assert not marker.exists()


@pytest.mark.parametrize(
    "attack",
    [
        "alias bomb in a field",
        "compact sequences 100k deep",
        "Latin-1 byte in a name",
        "over 16 MiB",
    ],
)
def test_render_of_a_hostile_file_writes_nothing(tmp_path: Path, attack: str):
    document = ATTACKS[attack].document()
    model = tmp_path / "lb.yaml"
    model.write_bytes(document if isinstance(document, bytes) else document.encode())
    result = CliRunner().invoke(main, ["render", str(model), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error: ")
    assert [p.name for p in tmp_path.iterdir()] == ["lb.yaml"]


def test_a_file_over_the_limit_is_refused_in_bounded_time(tmp_path: Path):
    model = tmp_path / "lb.yaml"
    model.write_bytes(b"#" * (16 * 2**20 + 1))
    verdict = isolated(lambda: load_model_file(model))
    assert verdict.errors and "16 MiB" in str(verdict.errors[0]), verdict
    assert verdict.within_budget, verdict
