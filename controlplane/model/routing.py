"""A frontend's routing rules: an ordered list of conditions -> one action each.

A rule reads as "when these hold (and none of `unless`), do this". Conditions test the
request (host, path, method, headers, query, cookies) or the connection (source address,
TLS, SNI, destination port); actions choose a pool, redirect, deny, answer directly, edit
headers, add HSTS or ask for basic auth. Rendering lives in `render/routing.py`; the rules
that relate a rule to other model objects (pools, user lists, error pages) are in
`rule_errors` at the bottom of this module, called from `rules.check_model`.

Every string here can reach haproxy.cfg. The types below allow no line break and no
single quote, and the renderer prints free text inside single quotes, where HAProxy's
tokenizer takes spaces, `#`, double quotes, `$` and backslashes literally.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ..errors import FieldError
from .base import Port, Single, Strict
from .types import HostMatch, Name, UriPath, shown

if TYPE_CHECKING:
    from .schema import Frontend, LbModel

MAX_RULES = 10_000
MAX_TESTS = 1_000  # values in one condition (methods, CIDRs, ports) or conditions in any-of
MAX_HEADERS = 100  # headers one rule sets, adds or deletes


def _check_text(value: str) -> str:
    """Refuse what would end HAProxy's single-quoted word: a quote or a control character."""
    if "'" in value:
        raise ValueError(f"must not contain a single quote ('), got {shown(value)}")
    if not re.fullmatch(r"[\x20-\x7e]*", value):
        raise ValueError(
            f"must be printable ASCII on one line (no tabs or line breaks), got {shown(value)}"
        )
    return value


Text = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        description="printable ASCII on one line, no single quote (') ; printed quoted",
    ),
    AfterValidator(_check_text),
]

Body = Annotated[
    str,
    Field(
        min_length=1,
        max_length=16_384,
        description="response body: printable ASCII on one line, no single quote (')",
    ),
    AfterValidator(_check_text),
]


def _check_regex(value: str) -> str:
    _check_text(value)
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression ({exc})") from None
    return value


Regex = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        description=(
            "regular expression (PCRE): printable ASCII, no single quote (write \\x27); "
            "matched case-sensitively unless it starts with (?i)"
        ),
    ),
    AfterValidator(_check_regex),
]

# HTTP field names are tokens; this is the part of the token alphabet that is not syntax in
# haproxy.cfg (`'`, `#`, `$`, `%`, `,` and `)` are: the name sits inside `req.hdr(...)`).
HeaderName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
        description="header name: letters, digits, '-', '_', '.'",
    ),
]
ParamName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_.~-]{1,128}$",
        description="query parameter or cookie name: letters, digits, '-', '_', '.', '~'",
    ),
]
Method = Annotated[
    str, Field(pattern=r"^[A-Z][A-Z-]{0,31}$", description="HTTP method in capitals, e.g. GET")
]
# A path suffix (`.php`, `/health`): no leading '/' required.
PathPart = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9._~!&()*+,;=:@%/?-]{1,1024}$",
        description="end of a path, e.g. .php; no spaces, quotes, '#', '$' or backslashes",
    ),
]
ContentType = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9!#$&^_.+-]{1,64}"
        r"(; ?[A-Za-z0-9_-]{1,32}=[A-Za-z0-9_.-]{1,64})?$",
        description="media type, e.g. text/plain or text/html; charset=utf-8",
    ),
]
# An absolute http(s) URL or a path. `%` is allowed (percent-encoding); the renderer
# doubles it, since HAProxy reads a redirect target as a log-format string.
RedirectTarget = Annotated[
    str,
    Field(
        pattern=r"^(https?://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?)?(/[A-Za-z0-9._~!&()*+,;=:@%/?-]{0,1023})?$",
        min_length=1,
        description="absolute http(s) URL or a path starting with '/'",
    ),
]


def _check_cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        if "has host bits set" in str(exc):
            fixed = ipaddress.ip_network(value, strict=False)
            raise ValueError(f"has host bits set; write {fixed}") from None
        raise ValueError(
            f"must be an IPv4/IPv6 address or network like 198.18.0.0/15, got {shown(value)}"
        ) from None
    return str(network)


Cidr = Annotated[
    str,
    Field(description="IPv4/IPv6 address or network, e.g. 198.18.0.0/15"),
    AfterValidator(_check_cidr),
]


class HeaderTest(Strict):
    """A request header: present (no `equals` or `matches`), equal to a value, or matching."""

    name: HeaderName
    equals: Text | None = Field(None, description="the whole value, compared exactly")
    matches: Regex | None = None

    @model_validator(mode="after")
    def _one_comparison(self) -> HeaderTest:
        if self.equals is not None and self.matches is not None:
            raise ValueError("give equals or matches, not both")
        return self


class ParamTest(Strict):
    """A query parameter or cookie: present (no `equals`), or equal to a value."""

    name: ParamName
    equals: Text | None = None


class Match(Strict):
    """Tests on one request; every test given must hold."""

    host: HostMatch | None = Field(
        None, description="Host header: exact, or *.example.com for any subdomain"
    )
    host_regex: Regex | None = Field(None, description="Host header (lower case, no port)")
    path: UriPath | None = Field(None, description="exact path")
    path_begins: UriPath | None = Field(
        None, description="raw prefix, as HAProxy's path_beg: /api matches /apiv2 too"
    )
    path_prefix: UriPath | None = Field(
        None, description="whole segments, as routes: /api matches /api and /api/..."
    )
    path_ends: PathPart | None = Field(None, description="suffix, e.g. .php")
    path_regex: Regex | None = None
    method: list[Method] | None = Field(None, min_length=1, max_length=MAX_TESTS)
    header: HeaderTest | None = None
    query: ParamTest | None = Field(None, description="query string parameter")
    cookie: ParamTest | None = None
    source: list[Cidr] | None = Field(
        None, min_length=1, max_length=MAX_TESTS, description="client address in one of these"
    )
    tls: bool | None = Field(None, description="true: the connection is TLS (ssl_fc)")
    sni: HostMatch | None = Field(None, description="TLS server name: exact or *.example.com")
    dst_port: list[Port] | None = Field(
        None, min_length=1, max_length=MAX_TESTS, description="port the client connected to"
    )

    @model_validator(mode="after")
    def _tests_something(self) -> Match:
        if not self.model_fields_set:
            raise ValueError("a condition needs at least one test, e.g. host or path_prefix")
        return self


Code = Literal[301, 302, 303, 307, 308]


class Redirect(Single):
    """Redirect to https (same host and path), to a fixed location, or under a new prefix."""

    scheme: Literal["https"] | None = None
    location: RedirectTarget | None = Field(None, description="the exact target")
    prefix: RedirectTarget | None = Field(None, description="prepended to the request's path")
    code: Code = 302
    keep_query: bool = Field(True, description="scheme and prefix: keep the query string")

    @model_validator(mode="after")
    def _one_target(self) -> Redirect:
        given = [k for k in ("scheme", "location", "prefix") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of scheme, location or prefix")
        if self.location is not None and "keep_query" in self.model_fields_set:
            raise ValueError("keep_query applies to scheme and prefix; a location is exact")
        return self


def _check_deny_status(value: int) -> int:
    if value not in DENY_STATUSES:
        allowed = ", ".join(str(s) for s in sorted(DENY_STATUSES))
        raise ValueError(f"HAProxy can deny with {allowed}; got {value}")
    return value


# The statuses HAProxy 2.6 has a built-in error page for (`deny_status` needs one).
DENY_STATUSES = frozenset(
    {200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429} | {500, 501, 502, 503, 504}
)


class Deny(Single):
    status: Annotated[int, AfterValidator(_check_deny_status)] = 403


class Respond(Single):
    """Answer directly: a status with a short body, or one of the model's error pages."""

    status: int = Field(200, ge=200, le=599)
    content_type: ContentType | None = Field(None, description="defaults to text/plain")
    body: Body | None = None
    error_page: Name | None = Field(None, description="name of an error_pages entry")

    @model_validator(mode="after")
    def _body_or_page(self) -> Respond:
        if (
            self.error_page is not None
            and {"body", "content_type", "status"} & self.model_fields_set
        ):
            raise ValueError(
                "an error_page is a whole response, its status included: give it, or "
                "status/content_type/body"
            )
        return self


class HeaderEdits(Single):
    """Headers to set (replace), add (keep existing ones) and delete, in that order."""

    set: dict[HeaderName, Text] | None = Field(None, min_length=1, max_length=MAX_HEADERS)
    add: dict[HeaderName, Text] | None = Field(None, min_length=1, max_length=MAX_HEADERS)
    delete: list[HeaderName] | None = Field(None, min_length=1, max_length=MAX_HEADERS)

    @model_validator(mode="after")
    def _edits_something(self) -> HeaderEdits:
        if not (self.set or self.add or self.delete):
            raise ValueError("give at least one of set, add or delete")
        return self


class Hsts(Single):
    """Strict-Transport-Security on responses: browsers then use https only."""

    max_age: int = Field(31_536_000, ge=0, le=2**31 - 1, description="seconds")
    include_subdomains: bool = False
    preload: bool = False


class BasicAuth(Single):
    """Ask for a user and password from a user list; a request with them goes on."""

    userlist: Name = Field(description="name of a userlists entry")
    realm: Text = "restricted"


ACTIONS = (
    "use_pool",
    "redirect",
    "deny",
    "respond",
    "request_headers",
    "response_headers",
    "hsts",
    "basic_auth",
)
# Actions that end the rule list when they apply; the others apply and reading goes on.
DECIDING = frozenset({"use_pool", "redirect", "deny", "respond"})
# Rules that keep requests out: after a use_pool rule they no longer see what it routed.
PROTECTING = frozenset({"deny", "basic_auth"})
# What a tcp frontend can do: there is no HTTP request to test or answer.
TCP_TESTS = frozenset({"source", "dst_port"})
TCP_ACTIONS = frozenset({"use_pool", "deny"})


class Rule(Strict):
    """When `when` holds (every test), one of `when_any` holds and none of `unless`: act."""

    name: Name | None = Field(None, description="names the rule's ACLs in haproxy.cfg")
    when: Match | None = Field(None, description="every test must hold")
    when_any: list[Match] = Field(
        default_factory=list, max_length=MAX_TESTS, description="at least one must hold"
    )
    unless: Match | None = Field(None, description="none of these tests may hold")
    use_pool: Name | None = None
    redirect: Redirect | None = None
    deny: Deny | None = None
    respond: Respond | None = Field(None, description="answer directly (`http-request return`)")
    request_headers: HeaderEdits | None = None
    response_headers: HeaderEdits | None = None
    hsts: Hsts | None = None
    basic_auth: BasicAuth | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Rule:
        given = self.actions_given()
        if len(given) != 1:
            listed = ", ".join(ACTIONS)
            got = f"got {', '.join(given)}" if given else "got none"
            raise ValueError(f"a rule has exactly one action ({listed}); {got}")
        return self

    def actions_given(self) -> list[str]:
        return [a for a in ACTIONS if getattr(self, a) is not None]

    @property
    def action(self) -> str:
        return self.actions_given()[0]

    @property
    def unconditional(self) -> bool:
        return self.when is None and not self.when_any and self.unless is None

    def matches_used(self) -> Iterator[tuple[str, Match]]:
        """Yield (field path inside the rule, match) for every condition object."""
        if self.when is not None:
            yield "when", self.when
        for i, match in enumerate(self.when_any):
            yield f"when_any[{i}]", match
        if self.unless is not None:
            yield "unless", self.unless


def rule_label(rules: list[Rule], index: int) -> str:
    """Return 'rules[api]' for a named rule, 'rules[3]' for another, as error paths say."""
    name = rules[index].name
    return f"rules[{name if name is not None else index}]"


def rule_pools(rules: Iterable[Rule]) -> list[str]:
    """Return the pools a frontend's rules send to, in rule order."""
    return [r.use_pool for r in rules if r.use_pool is not None]


def frontend_pools(fe: Frontend) -> list[str]:
    """Return the pools a frontend names: default, routes, rules and `extra` use_backend.

    An imported frontend whose rules stay verbatim (`lbctl import`) names its pools in
    `extra` use_backend lines; a name computed at request time (`%[...]`) names none.
    """
    names = [fe.default_pool, *rule_pools(fe.rules), *(r.pool for r in fe.routes)]
    for line in fe.extra:
        words = line.split()
        if words[:1] == ["use_backend"] and len(words) > 1 and "%" not in words[1]:
            names.append(words[1])
    return [n for n in dict.fromkeys(names) if n is not None]


def computes_pool(fe: Frontend) -> bool:
    """Return whether a kept line names its pool at request time (`%[req.hdr(x-pool)]`)."""
    return any(line.startswith("use_backend %") for line in fe.extra)


def rule_errors(model: LbModel) -> Iterator[FieldError]:
    """Return errors of every frontend's rules: references, and what its mode cannot do."""
    pools = {p.name for p in model.pools}
    userlists = {u.name for u in model.userlists}
    error_pages = {e.name for e in model.error_pages}
    for fe in model.frontends:
        yield from _frontend_rule_errors(fe, pools, userlists, error_pages)


def _frontend_rule_errors(
    fe: Frontend, pools: set[str], userlists: set[str], error_pages: set[str]
) -> Iterator[FieldError]:
    names: dict[str, int] = {}
    for i, rule in enumerate(fe.rules):
        path = f"frontends[{fe.name}].{rule_label(fe.rules, i)}"
        if rule.name is not None:
            if rule.name in names:
                yield FieldError(  # by index: the name no longer tells the two apart
                    f"frontends[{fe.name}].rules[{i}].name",
                    f"duplicate rule name {rule.name!r} (also rules[{names[rule.name]}])",
                )
            names.setdefault(rule.name, i)
        if rule.use_pool is not None and rule.use_pool not in pools:
            yield FieldError(f"{path}.use_pool", _unknown("pool", rule.use_pool, pools))
        if rule.basic_auth is not None and rule.basic_auth.userlist not in userlists:
            yield FieldError(
                f"{path}.basic_auth.userlist",
                _unknown("userlist", rule.basic_auth.userlist, userlists),
            )
        page = rule.respond.error_page if rule.respond is not None else None
        if page is not None and page not in error_pages:
            yield FieldError(
                f"{path}.respond.error_page", _unknown("error page", page, error_pages)
            )
        if fe.mode == "tcp":
            yield from _tcp_rule_errors(path, rule)


def _tcp_rule_errors(path: str, rule: Rule) -> Iterator[FieldError]:
    if rule.action not in TCP_ACTIONS:
        yield FieldError(
            f"{path}.{rule.action}",
            f"a tcp frontend has no HTTP request to {rule.action.replace('_', ' ')}; "
            "use mode: http, or only use_pool and deny on tcp frontends",
        )
    if rule.deny is not None and "status" in rule.deny.model_fields_set:
        yield FieldError(f"{path}.deny.status", "a tcp frontend closes the connection: no status")
    for where, match in rule.matches_used():
        for test in sorted(match.model_fields_set - TCP_TESTS):
            yield FieldError(
                f"{path}.{where}.{test}",
                f"a tcp frontend cannot test {test} (no HTTP request); "
                "it can test source and dst_port",
            )


def _unknown(kind: str, value: str, known: set[str]) -> str:
    listed = ", ".join(repr(k) for k in sorted(known)[:8]) or "none defined"
    return f"unknown {kind} {value!r} (known: {listed})"


def rule_warnings(model: LbModel) -> Iterator[FieldError]:
    """Warn for rules never reached, an https redirect on a TLS frontend (a loop), and HSTS
    set both by `tls.hsts` and by a rule."""
    for fe in model.frontends:
        path = f"frontends[{fe.name}]"
        decided: int | None = None
        routed: int | None = None  # the first use_pool rule
        for i, rule in enumerate(fe.rules):
            if decided is not None:
                yield FieldError(
                    f"{path}.{rule_label(fe.rules, i)}",
                    _unreached(fe, decided, "this rule is never reached"),
                )
                continue
            if rule.unconditional and rule.action in DECIDING:
                decided = i
            if rule.action in PROTECTING and routed is not None:
                yield FieldError(
                    f"{path}.{rule_label(fe.rules, i)}",
                    f"requests {rule_label(fe.rules, routed)} sends to a pool skip this "
                    f"{rule.action.replace('_', ' ')} rule (the first deciding rule ends the "
                    "list); move it above if it must protect them too",
                )
            if rule.use_pool is not None and routed is None:
                routed = i
            if rule.hsts is not None and fe.tls is not None and fe.tls.hsts is not None:
                yield FieldError(
                    f"{path}.{rule_label(fe.rules, i)}.hsts",
                    f"{path}.tls.hsts also sets Strict-Transport-Security: where this rule "
                    "applies, its value (http-after-response, run last) replaces that one; "
                    "keep one of the two",
                )
            if fe.tls is not None and rule.redirect is not None and rule.redirect.scheme:
                plain_only = rule.when is not None and rule.when.tls is False
                if not plain_only:
                    yield FieldError(
                        f"{path}.{rule_label(fe.rules, i)}.redirect",
                        "this frontend serves https: redirecting its requests to https sends "
                        "them back here, a loop; add `when: {tls: false}` if some binds are "
                        "plain http",
                    )
        if decided is not None and fe.routes:
            yield FieldError(f"{path}.routes", _unreached(fe, decided, "no route is ever reached"))


def _unreached(fe: Frontend, decided: int, what: str) -> str:
    return (
        f"{rule_label(fe.rules, decided)} ({fe.rules[decided].action}, no condition) decides "
        f"every request, so {what}"
    )
