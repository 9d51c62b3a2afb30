"""What an `extra` line may say: one HAProxy directive that stays inside the model's reach.

`extra` is free text that reaches HAProxy twice: in the control plane's local check (as
any caller's text) and on the LB hosts. So a line must not make HAProxy run code, read or
write a file, open a socket the model did not name, or read the process environment.
Refused, each with the reason in its message:

- preprocessor lines (`.if`, `.alert`, `.notice`, `.diag`, ...) and `$NAME` / `${NAME}`
  expansion: they read the environment at parse time and print it;
- code: `lua-load`, `lua-load-per-thread`, `lua-prepend-path`, `external-check` and
  `option external-check`, `insecure-fork-wanted`, `insecure-setuid-wanted`, `filter spoe`
  and other filters that load a configuration file;
- the process environment and identity: `setenv`, `presetenv`, `resetenv`, `unsetenv`,
  `user`, `group`, `uid`, `gid`, `chroot`, `pidfile`, `daemon`, `master-worker`,
  `set-dumpable`, `unix-bind`, `stats socket` and the other settings lbctl renders itself;
- files: `errorfile`, `errorfiles`, the `*-base` and `*-file` settings, and any argument
  that names a file (`crt`, `crt-list`, `ca-file`, `crl-file`, `file`, `lf-file`,
  `errorfile`, pattern files `-f`), map converters (`map(...)`, `map_*(...)`) and `env(...)`;
- sockets by path or descriptor: `unix@`, `abns@`, `fd@`, `sockpair@`, `uxst@`, `uxdg@`
  addresses and `bind`, `log` or `server` addresses that are paths.

The typed fields (certificates, health checks, logging) are how a model names such things.
"""

from __future__ import annotations

import re

# Words that open a new section: an `extra` item starting with one would escape its section.
SECTION_KEYWORDS = frozenset(
    [
        "global",
        "defaults",
        "frontend",
        "backend",
        "listen",
        "peers",
        "resolvers",
        "userlist",
        "cache",
        "program",
        "http-errors",
        "ring",
        "mailers",
        "fcgi-app",
        "crt-store",
        "traces",
        "log-forward",
        "dynamic-update",
    ]
)

_RUNS_CODE = frozenset(
    [
        "lua-load",
        "lua-load-per-thread",
        "lua-prepend-path",
        "external-check",
        "insecure-fork-wanted",
        "insecure-setuid-wanted",
    ]
)
_PROCESS = frozenset(
    [
        "setenv",
        "presetenv",
        "resetenv",
        "unsetenv",
        "user",
        "group",
        "uid",
        "gid",
        "chroot",
        "pidfile",
        "daemon",
        "master-worker",
        "set-dumpable",
        "unix-bind",
        "localpeer",
        "server-state-file",
        "server-state-base",
        "expose-experimental-directives",
    ]
)
_READS_FILES = frozenset(
    [
        "errorfile",
        "errorfiles",
        "ca-base",
        "crt-base",
        "key-base",
        "ssl-dh-param-file",
        "issuers-chain-path",
        "h1-case-adjust-file",
        "51degrees-data-file",
        "wurfl-data-file",
        "deviceatlas-json-file",
        "ssl-engine",
        "ssl-provider",
        "ssl-provider-path",
        "httpclient.ssl.ca-file",
    ]
)
# Arguments after which HAProxy reads a file.
_FILE_ARGUMENTS = frozenset(
    [
        "crt",
        "crt-list",
        "ca-file",
        "crl-file",
        "ca-verify-file",
        "ca-sign-file",
        "file",
        "lf-file",
        "errorfile",
        "-f",
    ]
)
_SOCKET_PREFIXES = ("unix@", "abns@", "fd@", "sockpair@", "uxst@", "uxdg@")
_PATH_ADDRESS_AT = {"bind": 1, "log": 1, "server": 2, "peer": 2, "source": 1}
# Filters that only count or shape traffic; the others load a configuration file.
_SAFE_FILTERS = frozenset(["compression", "cache", "trace", "bwlim-in", "bwlim-out", "fcgi-app"])
_EXPANSION = re.compile(r"\$[{A-Za-z_]")
_FETCH = re.compile(r"(?<![\w.-])(env|map(?:_[a-z0-9_]+)?|lua\.[\w.]*|51d\.[\w.]*)\(")
# A declared map as a converter reads it: an absolute path ending in /maps/<name>.map.
_DECLARED_MAP = re.compile(
    r"(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+/maps/[A-Za-z0-9_-][A-Za-z0-9_.-]*\.map(?=[,)])"
)


def check_directive(value: str) -> str:
    """Return the directive stripped, or raise ValueError saying why it is refused."""
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be empty")
    if stripped.startswith("#"):
        raise ValueError("must be a directive, not a comment")
    if stripped.startswith("."):
        raise ValueError(
            "must not be a preprocessor line (.if, .alert, .notice, ...): they read the "
            "environment of whatever parses the file"
        )
    if _EXPANSION.search(stripped):
        raise ValueError(
            "must not expand environment variables ($NAME or ${NAME}): write the value itself"
        )
    words = [word.lower() for word in stripped.split()]
    first = words[0]
    if first in SECTION_KEYWORDS:
        raise ValueError(f"must be a directive, not a section header ({first!r})")
    reason = _refusal(words) or _fetch_refusal(stripped)
    if reason is not None:
        raise ValueError(f"cannot be used in extra: {reason}")
    return stripped


def _fetch_refusal(line: str) -> str | None:
    """Refuse env(), Lua and device-detection fetches, and maps that are not declared ones.

    A map converter may read a declared map, at <files_dir>/maps/<name>.map (the rules
    check that the name is declared and the folder is settings.files_dir).
    """
    for fetch in _FETCH.finditer(line):
        name = fetch.group(1)
        if name.startswith("map") and _DECLARED_MAP.match(line, fetch.end()):
            continue
        if name.startswith("map"):
            return (
                f"reads {name}(...) from a file the model does not declare: declare it in "
                "maps[] and read it at <settings.files_dir>/maps/<name>.map"
            )
        return f"reads {name}(...) on the host, which the model does not name"
    return None


def map_paths(line: str) -> list[str]:
    """Return the files the map converters of a (checked) line read."""
    return [
        match.group(0)
        for fetch in _FETCH.finditer(line)
        if fetch.group(1).startswith("map")
        and (match := _DECLARED_MAP.match(line, fetch.end())) is not None
    ]


def _refusal(words: list[str]) -> str | None:
    first, second = words[0], (words[1] if len(words) > 1 else "")
    if first in _RUNS_CODE or first.startswith("lua-") or second == "external-check":
        return f"{first} {second}".strip() + " runs code on the host"
    if first in _PROCESS or (first, second) == ("stats", "socket"):
        return f"{first!r} changes the HAProxy process itself; lbctl renders it from settings"
    if first in _READS_FILES:
        return f"{first!r} reads a file on the host"
    if first == "quiet":
        return "'quiet' hides the messages lbctl shows when a check or a reload fails"
    if first == "zero-warning":
        # Measured: every check before a host's first reload warns that the server-state
        # file does not exist yet, so each check and start would fail.
        return (
            "'zero-warning' makes warnings lbctl expects fatal (no server-state file before "
            "the first reload)"
        )
    if first == "filter" and second not in _SAFE_FILTERS:
        return f"filter {second!r} loads code or a configuration file"
    for word in words[1:]:
        if word in _FILE_ARGUMENTS:
            return f"{word!r} names a file on the host"
        if word.strip("\"'").startswith(_SOCKET_PREFIXES):
            return f"{word!r} is a socket by path or descriptor"
    at = _PATH_ADDRESS_AT.get(first)
    if at is not None and len(words) > at and words[at].strip("\"'").startswith("/"):
        return f"{first} address {words[at]!r} is a path on the host"
    return None
