"""Advice for `extra` lines the model can say natively: which field to use instead.

`extra` stays the escape hatch, but a line there is text lbctl cannot check, classify in a
deploy plan or import from a running config. So `lbctl validate` warns for each line that
starts with a directive a typed field now writes, naming that field. The table maps a
directive's first words (lower case) to the field, per section an `extra` list sits in:
`settings.extra` is the global section, `pools[].extra` a backend, `frontends[].extra` a
frontend. The longest matching prefix wins, so `http-request redirect scheme https` finds
the redirect rule before `http-request` would find anything else.

A field named here that the schema does not have (a feature renamed or not there yet) gives
no advice: `advised_fields` lists what the table names and a test compares it with the
schema, so the table cannot drift from the model unnoticed.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from ..errors import FieldError

if TYPE_CHECKING:
    from .schema import LbModel

Section = Literal["settings", "pools", "frontends"]


@dataclass(frozen=True)
class Advice:
    section: Section
    prefix: tuple[str, ...]  # the directive's first words, lower case
    # Dotted path below the section's object, e.g. "logging.format"; from the top of the
    # model when it starts with "/" ("/pools.timeouts.tunnel" prints pools[].timeouts.tunnel).
    field: str
    how: str = ""  # the value to set, when the field alone does not say it

    @property
    def silent(self) -> bool:
        """A row with no field: the directive is fine in `extra` (it shadows a shorter one)."""
        return not self.field


def _advice(section: Section, rows: list[tuple[str, str, str]]) -> list[Advice]:
    return [Advice(section, tuple(prefix.split()), field, how) for prefix, field, how in rows]


TABLE: tuple[Advice, ...] = tuple(
    _advice(
        "frontends",
        [
            ("option httplog", "logging.format", "http"),
            ("option tcplog", "logging.format", "tcp"),
            ("option dontlognull", "logging.log_empty_connections", "false"),
            ("log-format", "logging.custom_format", ""),
            ("log", "logging.targets", ""),
            ("log global", "", ""),  # lbctl's defaults already log to the global targets
            ("unique-id-format", "logging.request_id.format", ""),
            ("unique-id-header", "logging.request_id.header", ""),
            ("acl", "rules", "a rule's `when` conditions"),
            ("use_backend", "rules", "a rule with use_pool"),
            ("default_backend", "default_pool", ""),
            ("redirect", "rules", "a rule with redirect"),
            ("http-request redirect", "rules", "a rule with redirect"),
            (
                "http-request redirect scheme https",
                "rules",
                "a rule with redirect: {scheme: https}",
            ),
            ("http-request deny", "rules", "a rule with deny (or access.deny for source CIDRs)"),
            ("http-request return", "rules", "a rule with return"),
            ("http-request set-header", "rules", "a rule with request_headers.set"),
            ("http-request add-header", "rules", "a rule with request_headers.add"),
            ("http-request del-header", "rules", "a rule with request_headers.delete"),
            ("http-response set-header", "rules", "a rule with response_headers.set"),
            ("http-response add-header", "rules", "a rule with response_headers.add"),
            ("http-response del-header", "rules", "a rule with response_headers.delete"),
            (
                "http-response set-header strict-transport-security",
                "rules",
                "a rule with hsts, or tls.hsts",
            ),
            ("http-after-response set-header", "rules", "a rule with response_headers.set"),
            ("http-after-response add-header", "rules", "a rule with response_headers.add"),
            ("http-after-response del-header", "rules", "a rule with response_headers.delete"),
            (
                "http-after-response set-header strict-transport-security",
                "rules",
                "a rule with hsts, or tls.hsts",
            ),
            ("http-request auth", "rules", "a rule with basic_auth"),
            ("tcp-request connection reject", "access", "allow/deny source CIDR lists"),
            ("tcp-request content reject", "access", "allow/deny source CIDR lists"),
            ("http-request track-sc0", "rate_limit", ""),
            ("http-request track-sc1", "rate_limit", ""),
            ("http-request track-sc2", "rate_limit", ""),
            ("tcp-request connection track-sc0", "rate_limit", ""),
            ("tcp-request connection track-sc1", "rate_limit", ""),
            ("tcp-request content track-sc0", "rate_limit", ""),
            ("stick-table", "rate_limit", ""),
            ("stats enable", "/stats_pages", ""),
            ("stats uri", "/stats_pages", ""),
            ("stats auth", "/stats_pages.userlist", ""),
            ("stats refresh", "/stats_pages.refresh", ""),
            ("stats admin", "/stats_pages.admin", ""),
            ("maxconn", "maxconn", ""),
            ("timeout client", "timeouts.client", ""),
            ("timeout client-fin", "timeouts.client_fin", ""),
            ("timeout http-request", "timeouts.http_request", ""),
            ("timeout http-keep-alive", "timeouts.http_keep_alive", ""),
            ("timeout tunnel", "/pools.timeouts.tunnel", "of the pools it uses"),
            ("timeout server", "/pools.timeouts.server", "of the pools it uses"),
            ("timeout connect", "/pools.timeouts.connect", "of the pools it uses"),
            ("compression algo", "compression.algorithms", ""),
            ("compression type", "compression.types", ""),
            ("option forwardfor", "forwarded_for", "true"),
            ("bind", "binds", "address and port, or unix_socket; accept_proxy"),
            ("errorloc", "error_pages", ""),
            ("errorloc302", "error_pages", ""),
            ("errorloc303", "error_pages", ""),
        ],
    )
    + _advice(
        "pools",
        [
            ("balance", "balance", ""),
            ("cookie", "sticky", "sticky: cookie with cookie_name"),
            ("stick-table", "sticky", "sticky: source"),
            ("stick on", "sticky", "sticky: source"),
            ("option httpchk", "/health_checks", "type: http, named by health_check"),
            ("http-check send", "/health_checks", "method, path, host"),
            (
                "http-check expect",
                "/health_checks",
                "expect_status, expect_string or expect_regex",
            ),
            ("option tcp-check", "/health_checks", "type: tcp, named by health_check"),
            ("tcp-check", "/health_checks", "type: tcp with send and expect_string"),
            ("default-server", "default_server", ""),
            ("timeout connect", "timeouts.connect", ""),
            ("timeout server", "timeouts.server", ""),
            ("timeout server-fin", "timeouts.server_fin", ""),
            ("timeout queue", "timeouts.queue", ""),
            ("timeout tunnel", "timeouts.tunnel", ""),
            ("timeout check", "timeouts.check", ""),
            ("server-template", "server_templates", ""),
            ("server", "servers", ""),
            ("option forwardfor", "/frontends.forwarded_for", "on the frontends using it"),
            ("retries", "/settings.retries", ""),
            ("errorloc", "error_pages", ""),
        ],
    )
    + _advice(
        "settings",
        [
            ("maxconn", "maxconn", ""),
            ("nbthread", "nbthread", ""),
            ("hard-stop-after", "hard_stop_after", ""),
            ("log", "log_targets", ""),
            ("tune.bufsize", "tune.bufsize", ""),
            ("tune.maxrewrite", "tune.maxrewrite", ""),
            ("tune.http.maxhdr", "tune.http_maxhdr", ""),
            ("tune.ssl.default-dh-param", "tune.ssl_default_dh_param", ""),
            ("tune.ssl.cachesize", "tune.ssl_cachesize", ""),
            ("tune.ssl.lifetime", "tune.ssl_lifetime", ""),
            ("tune.h2.max-concurrent-streams", "tune.h2_max_concurrent_streams", ""),
            ("tune.maxaccept", "tune.maxaccept", ""),
            ("ssl-default-bind-ciphers", "tls.bind_ciphers", ""),
            ("ssl-default-bind-ciphersuites", "tls.bind_ciphersuites", ""),
            ("ssl-default-bind-options", "tls", "tls.bind_min_version, tls.tls_tickets"),
            ("ssl-default-server-ciphers", "tls.server_ciphers", ""),
            ("ssl-default-server-ciphersuites", "tls.server_ciphersuites", ""),
            ("ssl-default-server-options", "tls.server_min_version", ""),
        ],
    )
)


def extra_advice(model: LbModel) -> Iterator[FieldError]:
    """Yield a warning for each `extra` line a typed field could write, naming the field."""
    for index, line in enumerate(model.settings.extra):
        yield from _advise("settings", "settings", index, line)
    for pool in model.pools:
        for index, line in enumerate(pool.extra):
            yield from _advise("pools", f"pools[{pool.name}]", index, line)
    for fe in model.frontends:
        for index, line in enumerate(fe.extra):
            yield from _advise("frontends", f"frontends[{fe.name}]", index, line)


def advice_for(section: Section, line: str) -> Advice | None:
    """Return the advice for one `extra` line of a section, None when no field fits."""
    words = tuple(line.lower().split())
    matches = [
        a for a in _known_table() if a.section == section and words[: len(a.prefix)] == a.prefix
    ]
    return max(matches, key=lambda a: len(a.prefix), default=None)


def advised_fields() -> set[tuple[Section, str]]:
    """Return every (section, field) the table names, present in the schema or not."""
    return {(a.section, a.field) for a in TABLE if not a.silent}


def field_exists(section: Section, dotted: str) -> bool:
    """Return whether the schema has the field a row names (below the section's class)."""
    from .schema import Frontend, LbModel, Pool, Settings  # schema -> rules -> this module

    sections: dict[str, type[BaseModel]] = {
        "settings": Settings,
        "pools": Pool,
        "frontends": Frontend,
    }
    cls: type[BaseModel] | None = sections[section]
    if dotted.startswith("/"):
        cls, dotted = LbModel, dotted[1:]
    for part in dotted.split("."):
        if cls is None or part not in cls.model_fields:
            return False
        cls = _model_in(cls.model_fields[part].annotation)
    return True


def _advise(section: Section, where: str, index: int, line: str) -> Iterator[FieldError]:
    advice = advice_for(section, line)
    if advice is None or advice.silent:
        return
    words = " ".join(line.split()[: len(advice.prefix)])
    field = _absolute(advice.field) if advice.field.startswith("/") else f"{where}.{advice.field}"
    how = f" ({advice.how})" if advice.how else ""
    yield FieldError(
        f"{where}.extra[{index}]",
        f"`{words}` can be written as {field}{how}; typed fields are validated and "
        "planned, extra lines are not",
    )


@functools.cache
def _known_table() -> tuple[Advice, ...]:
    return tuple(a for a in TABLE if a.silent or field_exists(a.section, a.field))


def _absolute(dotted: str) -> str:
    """Return '/pools.timeouts.tunnel' as the reader's path: 'pools[].timeouts.tunnel'."""
    from .schema import LbModel

    first, _, rest = dotted[1:].partition(".")
    listed = typing.get_origin(LbModel.model_fields[first].annotation) is list
    return f"{first}[]" + (f".{rest}" if rest else "") if listed else dotted[1:]


def _model_in(annotation: object) -> type[BaseModel] | None:
    """Return the model class inside an annotation (`X | None`, `list[Counted[X]]`...)."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            return current
        stack.extend(typing.get_args(current))
    return None
