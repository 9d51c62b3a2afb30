"""A frontend's routing as haproxy.cfg lines: access lists, rate limits, rules, routes.

What HAProxy reads, in this order (the model's order within each kind):

1. `tcp-request connection` lines: the rate limit's tracking (and, in tcp mode, access
   and rules' rejects) -- HAProxy runs them before any `http-request` line anyway;
2. named ACLs: one per test, `rule_<name>_<where>_<test>` (or `rule<i>_...` for a rule
   without a name), then the routes' `route<i>_host/_path`;
3. `http-request` / `http-after-response` lines: access deny (403), rate limit (429),
   then each rule's action in rule order;
4. `use_backend` lines: the rules' `use_pool`, then the routes', then `default_backend`.

Rules read top to bottom and the first one that decides (use_pool, redirect, deny,
return) ends the list, as an operator reads it. HAProxy runs every `http-request` line
before any `use_backend`, so a `use_pool` rule that has rules after it also sets the
variable `txn.lbctl_routed`, and every later rule's condition says `!lbctl_routed`.
A response-header rule tests the request: it records its match in `txn.lbctl_rule<i>`,
which its `http-after-response` line then reads (request fetches do not exist in a
response). `http-after-response`, not `http-response`: it also edits the answers HAProxy
makes itself (deny, redirect, respond, errors), so HSTS and security headers are on every
answer (measured: a 403 and a 302 carry them).

Free text (header values, bodies, regexes, realms) is printed inside single quotes,
where HAProxy's tokenizer takes spaces, `#`, `"`, `$` and `\\` literally; the model
refuses a single quote and line breaks. Text HAProxy reads as log-format (header values,
redirect targets) has `%` doubled, so it is printed as written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..model import Frontend
from ..model.access import RateLimit
from ..model.routing import HeaderEdits, Hsts, Match, Rule

ROUTED = "lbctl_routed"
AccessKind = Literal["allow", "deny"]
_CIDRS_PER_LINE = 64  # keeps each `acl ... src` line short enough to read


@dataclass(frozen=True)
class FrontendRules:
    """The lines of one frontend that the model's access, rate_limit and rules make."""

    connection_lines: list[str] = field(default_factory=list)  # first in the frontend
    acls: list[tuple[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # tcp-request / http-request / -response
    use_backends: list[tuple[str, str]] = field(default_factory=list)


def routing(fe: Frontend) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return ACL lines and use_backend rules; first matching route wins, as in the model."""
    acls: list[tuple[str, str]] = []
    rules: list[tuple[str, str]] = []
    for i, route in enumerate(fe.routes):
        conditions = []
        if route.host is not None:
            name = f"route{i}_host"
            acls.append((name, _host_criterion(_HOST, route.host)))
            conditions.append(name)
        if route.path_prefix is not None:
            name = f"route{i}_path"
            acls += [(name, c) for c in _segment_prefix(route.path_prefix)]
            conditions.append(name)
        rules.append((route.pool, " ".join(conditions)))
    return acls, rules


def access_list_key(frontend: str, kind: AccessKind) -> str:
    """Where a frontend's allow or deny list is shipped under files_dir.

    A folder of its own: model names hold no '/', so no declared map can take this key.
    """
    return f"maps/access/{frontend}.{kind}.map"


def access_list_files(fe: Frontend) -> dict[str, str]:
    """Return key -> text of the frontend's access list files (a map: `CIDR 1` per line)."""
    if fe.access is None:
        return {}
    lists: dict[AccessKind, list[str]] = {"deny": fe.access.deny, "allow": fe.access.allow}
    return {
        access_list_key(fe.name, kind): "".join(f"{cidr} 1\n" for cidr in cidrs)
        for kind, cidrs in lists.items()
        if cidrs
    }


def frontend_rules(
    fe: Frontend,
    peers: str | None,
    error_page_path: Callable[[str], str],
    shipped_path: Callable[[str], str],
) -> FrontendRules:
    """Return the access, rate limit and rule lines of a frontend (empty when it has none).

    `peers` is the peers section replicating the rate limit's table; `error_page_path`
    gives the file an error page is shipped to on the LB host, `shipped_path` the path of
    a key under files_dir.
    """
    out = FrontendRules()
    tcp = fe.mode == "tcp"
    if fe.access is not None:
        deny = "tcp-request connection reject" if tcp else "http-request deny deny_status 403"
        # The lists are map files (`-M`): the runtime API's map commands replace their
        # entries with no reload, and the ACL sees the new list at once (measured).
        lists: tuple[tuple[AccessKind, list[str]], ...] = (
            ("deny", fe.access.deny),
            ("allow", fe.access.allow),
        )
        for kind, cidrs in lists:
            if cidrs:
                path = shipped_path(access_list_key(fe.name, kind))
                out.acls.append((f"lbctl_access_{kind}", f"src -M -f {path}"))
        if fe.access.deny:
            out.lines.append(f"{deny} if lbctl_access_deny")
        if fe.access.allow:
            out.lines.append(f"{deny} unless lbctl_access_allow")
    if fe.rate_limit is not None:
        _rate_limit(out, fe, fe.rate_limit, peers)
    _RuleWriter(fe, out, error_page_path).write()
    return out


def _rate_limit(out: FrontendRules, fe: Frontend, limit: RateLimit, peers: str | None) -> None:
    stores = []
    if limit.requests is not None:
        stores.append(f"http_req_rate({limit.period})")
    if limit.connections is not None:
        stores.append("conn_cur")
    # ipv6 keys hold IPv4 clients too (as mapped addresses), so one table serves both.
    table = f"stick-table type ipv6 size {limit.table_size} expire {limit.expire}"
    table += f" store {','.join(stores)}"
    if peers:
        table += f" peers {peers}"
    track = "tcp-request connection track-sc0 src"
    out.connection_lines.append(table)
    if fe.mode == "tcp":
        out.lines.append(track)  # after the access rejects: a refused client is not counted
    else:
        out.connection_lines.append(track)
    deny = (
        "tcp-request connection reject" if fe.mode == "tcp" else "http-request deny deny_status 429"
    )
    if limit.connections is not None:
        out.acls.append(("lbctl_rate_connections", f"sc_conn_cur(0) gt {limit.connections}"))
        out.lines.append(f"{deny} if lbctl_rate_connections")
    if limit.requests is not None:
        out.acls.append(("lbctl_rate_requests", f"sc_http_req_rate(0) gt {limit.requests}"))
        out.lines.append(f"{deny} if lbctl_rate_requests")


def _sources(name: str, cidrs: list[str]) -> list[tuple[str, str]]:
    return [
        (name, "src " + " ".join(cidrs[i : i + _CIDRS_PER_LINE]))
        for i in range(0, len(cidrs), _CIDRS_PER_LINE)
    ]


_HOST = "req.hdr(host),field(1,:),lower"
_SNI = "ssl_fc_sni,lower"


def _host_criterion(fetch: str, host: str) -> str:
    if host.startswith("*."):
        return f"{fetch} -m end {host[1:]}"
    return f"{fetch} -m str {host}"


def _segment_prefix(prefix: str) -> list[str]:
    if prefix.endswith("/"):
        return [f"path_beg {prefix}"]
    # '/v1' matches '/v1' and '/v1/...', never '/v1beta'.
    return [f"path {prefix}", f"path_beg {prefix}/"]


def quoted(text: str) -> str:
    """Return text as one single-quoted word (the model refuses quotes and line breaks)."""
    if "'" in text or "\n" in text or "\r" in text:
        raise ValueError(f"refusing to quote {text!r}: it holds a quote or a line break")
    return f"'{text}'"


def pattern(text: str) -> str:
    """Return an ACL pattern: quoted, after `--` so a leading '-' is not read as a flag."""
    # Measured: `-m str '-x'` fails haproxy -c ("'-' is not a valid ACL option").
    return f"-- {quoted(text)}"


def log_format_quoted(text: str) -> str:
    """Return literal text for an argument HAProxy reads as log-format: '%' doubled."""
    return quoted(text.replace("%", "%%"))


def _match_criteria(match: Match) -> list[tuple[str, list[str], bool]]:
    """Return (test, criterion lines of one ACL, negated) for each test of a condition."""
    found: list[tuple[str, list[str], bool]] = []

    def add(test: str, *criteria: str, negated: bool = False) -> None:
        found.append((test, list(criteria), negated))

    if match.host is not None:
        add("host", _host_criterion(_HOST, match.host))
    if match.host_regex is not None:
        add("host_regex", f"{_HOST} -m reg {pattern(match.host_regex)}")
    if match.path is not None:
        add("path", f"path {match.path}")
    if match.path_begins is not None:
        add("path_begins", f"path_beg {match.path_begins}")
    if match.path_prefix is not None:
        add("path_prefix", *_segment_prefix(match.path_prefix))
    if match.path_ends is not None:
        add("path_ends", f"path_end {match.path_ends}")
    if match.path_regex is not None:
        add("path_regex", f"path_reg {pattern(match.path_regex)}")
    if match.method is not None:
        add("method", "method " + " ".join(match.method))
    if match.header is not None:
        # req.fhdr: the whole field value, not split at commas as req.hdr is.
        fetch = f"req.fhdr({match.header.name})"
        if match.header.equals is not None:
            add("header", f"{fetch} -m str {pattern(match.header.equals)}")
        elif match.header.matches is not None:
            add("header", f"{fetch} -m reg {pattern(match.header.matches)}")
        else:
            add("header", f"{fetch} -m found")
    for test, fetch_name in (("query", "url_param"), ("cookie", "req.cook")):
        param = getattr(match, test)
        if param is not None:
            fetch = f"{fetch_name}({param.name})"
            if param.equals is not None:
                add(test, f"{fetch} -m str {pattern(param.equals)}")
            else:
                add(test, f"{fetch} -m found")
    if match.source is not None:
        add("source", *(c for _, c in _sources("", match.source)))
    if match.tls is not None:
        add("tls", "ssl_fc", negated=not match.tls)
    if match.sni is not None:
        add("sni", _host_criterion(_SNI, match.sni))
    if match.dst_port is not None:
        add("dst_port", "dst_port " + " ".join(str(p) for p in match.dst_port))
    return found


class _RuleWriter:
    """Turns a frontend's rules into ACLs, action lines and use_backend lines."""

    def __init__(
        self, fe: Frontend, out: FrontendRules, error_page_path: Callable[[str], str]
    ) -> None:
        self.fe, self.out, self.error_page_path = fe, out, error_page_path
        self.tcp = fe.mode == "tcp"
        self.routed = False  # a use_pool rule came before: later rules say !lbctl_routed

    def write(self) -> None:
        rules = self.fe.rules
        for i, rule in enumerate(rules):
            prefix = f"rule_{rule.name}" if rule.name else f"rule{i}"
            terms = self._terms(prefix, rule)
            self._action(i, prefix, rule, terms, has_later=i + 1 < len(rules))

    def _acl(self, name: str, criteria: list[str]) -> None:
        self.out.acls.extend((name, c) for c in criteria)

    def _refs(self, prefix: str, where: str, match: Match, negate: bool) -> list[str]:
        refs = []
        for test, criteria, negated in _match_criteria(match):
            name = f"{prefix}_{where}_{test}"
            self._acl(name, criteria)
            refs.append(("!" if negated != negate else "") + name)
        return refs

    def _terms(self, prefix: str, rule: Rule) -> list[list[str]]:
        """Return the rule's condition as alternatives (||) of tests that must all hold."""
        base = self._refs(prefix, "when", rule.when, False) if rule.when else []
        if rule.unless is not None:
            base += self._refs(prefix, "unless", rule.unless, True)
        if self.routed:
            base.append(f"!{ROUTED}")
        if not rule.when_any:
            return [base]
        return [
            base + self._refs(prefix, f"any{k}", match, False)
            for k, match in enumerate(rule.when_any)
        ]

    def _action(
        self, i: int, prefix: str, rule: Rule, terms: list[list[str]], has_later: bool
    ) -> None:
        when = _condition(terms)
        lines = self.out.lines
        if rule.use_pool is not None:
            bare = _condition(_without_guard(terms)).removeprefix(" if ")
            self.out.use_backends.append((rule.use_pool, bare))
            if has_later:
                # A tcp frontend has no transaction yet: its variable lives in the session.
                var = f"sess.{ROUTED}" if self.tcp else f"txn.{ROUTED}"
                if not self.routed:
                    self._acl(ROUTED, [f"var({var}) -m bool"])
                keyword = "tcp-request connection" if self.tcp else "http-request"
                lines.append(f"{keyword} set-var({var}) bool(true){when}")
                self.routed = True
        elif rule.deny is not None:
            if self.tcp:
                lines.append(f"tcp-request connection reject{when}")
            else:
                lines.append(f"http-request deny deny_status {rule.deny.status}{when}")
        elif rule.redirect is not None:
            lines.append(f"http-request redirect {_redirect(rule)}{when}")
        elif rule.respond is not None:
            lines.append(f"http-request return {self._return(rule)}{when}")
        elif rule.request_headers is not None:
            lines += [f"http-request {edit}{when}" for edit in _header_edits(rule.request_headers)]
        elif rule.response_headers is not None:
            response_when = self._response_condition(i, prefix, when)
            edits = _header_edits(rule.response_headers)
            lines += [f"http-after-response {edit}{response_when}" for edit in edits]
        elif rule.hsts is not None:
            response_when = self._response_condition(i, prefix, when)
            lines.append(f"http-after-response {_hsts(rule.hsts)}{response_when}")
        elif rule.basic_auth is not None:
            auth = f"{prefix}_auth_ok"
            self._acl(auth, [f"http_auth({rule.basic_auth.userlist})"])
            challenge = _condition([[*t, f"!{auth}"] for t in terms])
            realm = quoted(rule.basic_auth.realm)
            lines.append(f"http-request auth realm {realm}{challenge}")

    def _response_condition(self, i: int, prefix: str, when: str) -> str:
        if not when:
            return ""
        var = f"txn.lbctl_rule{i}"
        self.out.lines.append(f"http-request set-var({var}) bool(true){when}")
        matched = f"{prefix}_matched"
        self._acl(matched, [f"var({var}) -m bool"])
        return f" if {matched}"

    def _return(self, rule: Rule) -> str:
        answer = rule.respond
        assert answer is not None
        if answer.error_page is not None:
            return f"errorfile {self.error_page_path(answer.error_page)}"
        text = f"status {answer.status}"
        if answer.body is not None:
            content_type = answer.content_type or "text/plain"
            text += f" content-type {quoted(content_type)} string {quoted(answer.body)}"
        elif answer.content_type is not None:
            text += f" content-type {quoted(answer.content_type)}"
        return text


def _without_guard(terms: list[list[str]]) -> list[list[str]]:
    # use_backend lines come after every http-request line: they need no !lbctl_routed.
    return [[ref for ref in term if ref != f"!{ROUTED}"] for term in terms]


def _condition(terms: list[list[str]]) -> str:
    """Return ' if A B || C' for alternatives of tests, or '' for no condition at all."""
    if all(not term for term in terms):
        return ""
    return " if " + " || ".join(" ".join(term) for term in terms)


def _redirect(rule: Rule) -> str:
    r = rule.redirect
    assert r is not None
    if r.scheme is not None:
        text = f"scheme {r.scheme}"
    elif r.location is not None:
        text = f"location {log_format_quoted(r.location)}"
    else:
        assert r.prefix is not None
        text = f"prefix {log_format_quoted(r.prefix)}"
    text += f" code {r.code}"
    if r.location is None and not r.keep_query:
        text += " drop-query"
    return text


def _header_edits(edits: HeaderEdits) -> list[str]:
    return [
        *(f"set-header {n} {log_format_quoted(v)}" for n, v in (edits.set or {}).items()),
        *(f"add-header {n} {log_format_quoted(v)}" for n, v in (edits.add or {}).items()),
        *(f"del-header {n}" for n in edits.delete or []),
    ]


def _hsts(hsts: Hsts) -> str:
    value = f"max-age={hsts.max_age}"
    if hsts.include_subdomains:
        value += "; includeSubDomains"
    if hsts.preload:
        value += "; preload"
    return f"set-header Strict-Transport-Security {quoted(value)}"
