"""Classify `lbctl diff` lines of an adopted pair: lbctl's additions, formatting, or a change.

The adoption promise: after `lbctl import -i`, the diff against the hosts shows only what
lbctl adds of its own and formatting. `classify` puts every changed line in one of these
kinds, and anything else in `unexplained`, which a test asserts empty:

- comment: comments and blank lines (lbctl's file header);
- lbctl: lbctl's own additions -- the monitor and metrics listeners, master-worker with the
  admin socket passing listeners, the server-state file, hard-stop-after, the TLS defaults,
  option redispatch, retries, idle-close-on-response, the routed-request marker, and in
  keepalived.conf the reload file, the switchover track file, the notify hook and GARP
  timers; `daemon` goes (master-worker runs the daemon);
- haproxy check: keepalived's HAProxy check, replaced by lbctl's (the report says so);
- moved: a line the other side has too, anywhere in the same file, whitespace aside;
- default: a value HAProxy or keepalived used anyway, now written out (`mode http`,
  `balance roundrobin`, server `weight 1`, `inter 2s rise 2 fall 3`, `version 2`, the
  timeouts HAProxy falls back to, `option httpchk` split into `http-check send`);
- rule: a frontend's ACLs and routing rules, said the model's way; what they route is
  compared by requests before and after the deploy, not here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# HAProxy's own server check defaults, and the weight a server has without one.
_SERVER_DEFAULTS = ("weight 1", "inter 2s", "rise 2", "fall 3")
_LBCTL_HAPROXY = (
    "master-worker",
    "server-state-file ",
    "load-server-state-from-file ",
    "hard-stop-after ",
    "ssl-default-",
    "option redispatch",
    "retries 3",
    "option idle-close-on-response",
    "acl lbctl_routed ",
    "http-request set-var(txn.lbctl_routed)",
    # lbctl's check timeout: HAProxy would take the server's `inter` (2 s here) instead.
    "timeout check 5s",
)
_LBCTL_KEEPALIVED = (
    "reload_file /run/lbctl/",
    "notify /usr/local/libexec/lbctl/",
    "garp_master_",
    "lbctl_switchover_",
    'file "/run/lbctl/switchover.',
    "init_file 0",
)
_RULE_KEYWORDS = ("acl", "http-request", "redirect", "use_backend")
_SECTION = re.compile(r"^(global|defaults|frontend|backend|listen|peers|resolvers|userlist)\b")


@dataclass
class Classified:
    kinds: dict[str, list[str]] = field(default_factory=dict)
    unexplained: list[str] = field(default_factory=list)

    def add(self, kind: str, line: str) -> None:
        self.kinds.setdefault(kind, []).append(line)


@dataclass
class _Changed:
    file: str
    sign: str  # "-": only on the host, "+": only in lbctl's rendering
    text: str  # stripped
    section: str  # the haproxy section or keepalived block it is in ("" unknown)

    def __str__(self) -> str:
        return f"{self.file}: {self.sign}{self.text}"


def classify(diff_text: str) -> Classified:
    """Return every changed line of a unified diff (host `-`, rendering `+`), by kind."""
    out = Classified()
    by_file: dict[str, list[_Changed]] = {}
    for change in _changed_lines(diff_text):
        by_file.setdefault(change.file, []).append(change)
    host_timeouts = dict(re.findall(r"^[ -]\s*timeout\s+(\S+)\s+(\S+)\s*$", diff_text, re.M))
    for changes in by_file.values():
        _classify_file(changes, host_timeouts, out)
    return out


def _changed_lines(diff_text: str) -> list[_Changed]:
    changed: list[_Changed] = []
    current = ""
    sections = {"-": "", "+": ""}
    for line in diff_text.splitlines():
        if line.startswith("+++ "):
            current = line[4:].removeprefix("b/")
            continue
        if line.startswith(("--- ", "@@")):
            sections = {"-": "", "+": ""}  # a hunk may start inside any section
            continue
        if not line or line[0] not in " +-":
            continue  # the plan and progress lines around the diff
        sign, body = line[0], line[1:]
        if current.endswith("haproxy.cfg"):
            header = _SECTION.match(body)
        else:  # keepalived.conf: a block opens with `keyword [name] {`
            header = re.fullmatch(r"\s*\S+( \S+)? \{", body)
        if header:
            for side in ("-", "+") if sign == " " else (sign,):
                sections[side] = body.strip()
        if sign != " ":
            changed.append(_Changed(current, sign, body.strip(), sections[sign]))
    return changed


def _classify_file(changes: list[_Changed], host_timeouts: dict[str, str], out: Classified) -> None:
    left: list[_Changed] = []
    for change in changes:
        kind = _own_kind(change)
        if kind:
            out.add(kind, str(change))
        else:
            left.append(change)
    # Lines both sides have (moved, re-indented, or equal once defaults are left out).
    plus = Counter(n for c in left if c.sign == "+" for n in _keys(c))
    minus = Counter(n for c in left if c.sign == "-" for n in _keys(c))
    both = plus & minus
    unmatched = {"-": both.copy(), "+": both.copy()}  # each side's lines pair up once
    for change in left:
        names = _keys(change)
        free = unmatched[change.sign]
        if all(free[n] > 0 for n in names):
            for n in names:
                free[n] -= 1
            out.add("moved", str(change))
        elif _written_default(change, host_timeouts):
            out.add("default", str(change))
        elif change.section.startswith("frontend ") and change.text.split()[0] in _RULE_KEYWORDS:
            out.add("rule", str(change))
        else:
            out.unexplained.append(str(change))


def _own_kind(change: _Changed) -> str:
    text = change.text
    if not text or text.startswith("#"):
        return "comment"
    if change.file.endswith("haproxy.cfg"):
        if change.section.startswith("frontend lbctl:"):
            return "lbctl"
        if text.startswith(_LBCTL_HAPROXY) or (change.sign == "-" and text == "daemon"):
            return "lbctl"
        if text.startswith("stats socket ") and change.sign == "+" and "expose-fd" in text:
            return "lbctl"
        if text.startswith("stats socket ") and change.sign == "-":
            return "lbctl"  # the same socket again, now passing listeners to a new worker
        return ""
    if text.startswith(_LBCTL_KEEPALIVED) or change.section.startswith("track_file"):
        return "lbctl"
    if text in ("state MASTER", "state BACKUP"):
        return "lbctl"  # both hosts start as BACKUP: the priority elects the master
    if change.section.startswith("vrrp_script chk_haproxy") or text.startswith("chk_haproxy"):
        return "haproxy check"
    if text == "}" and change.sign == "+":
        return "lbctl"  # the end of a block lbctl added (track_file, its track_file list)
    return ""


def _normal(text: str) -> str:
    """A line without whitespace differences or the server defaults HAProxy applies anyway."""
    words = " ".join(text.split())
    if words.startswith(("server ", "default-server ")):
        for default in _SERVER_DEFAULTS:
            words = re.sub(rf" {default}(?= |$)", "", words)
    return words


def _keys(change: _Changed) -> list[str]:
    """What a line must pair with on the other side: its normal form(s); a server's, in
    its own backend (a server moved to another backend is a change)."""
    found = re.fullmatch(r"option\s+httpchk\s+(\S+)\s+(\S+)", change.text)
    if found and change.sign == "-":  # lbctl writes it as two lines
        return ["option httpchk", f"http-check send meth {found[1]} uri {found[2]}"]
    text = _normal(change.text)
    return [f"{change.section}: {text}" if text.startswith("server ") else text]


def _written_default(change: _Changed, host_timeouts: dict[str, str]) -> bool:
    """True for a `+` line that writes out what HAProxy or keepalived did without it."""
    if change.sign != "+":
        return False
    words = change.text.split()
    if change.text in ("mode http", "balance roundrobin", "version 2"):
        return True
    if words[0] == "default-server" and _normal(change.text) == "default-server":
        return True
    if words[0] == "timeout" and len(words) == 3:
        # The timeouts HAProxy takes another's value for when they are not set.
        fallback = {
            "http-request": "client",
            "http-keep-alive": "client",
            "tunnel": "client",
            "queue": "connect",
        }.get(words[1])
        return fallback is not None and host_timeouts.get(fallback) == words[2]
    return False
