"""Logging: where HAProxy sends its logs, and what a frontend logs (format, request id).

Without these fields lbctl renders what it always did: `log <settings.log_target> local0`
in global, `log global` and `option dontlognull` in defaults, `option httplog` on http
frontends and `option tcplog` on tcp ones.

Free text (a custom log format, the request id format) is printed between single quotes,
where HAProxy expands nothing and reads no escape, so the text may hold spaces, `%`, `{}`
and `[]`; it may not hold a single quote, and it may not call the sample fetches that read
the host (`env(...)`, maps, Lua): the same fetches an `extra` line may not use.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from ..errors import FieldError
from .base import Single, Strict
from .directives import check_directive

if TYPE_CHECKING:
    from .schema import LbModel

MAX_LOG_TARGETS = 8

Facility = Literal[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "auth2", "ftp", "ntp", "audit", "alert", "cron2",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
]  # fmt: skip
Level = Literal["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
SyslogFormat = Literal["rfc3164", "rfc5424", "short", "raw", "iso", "timed", "priority", "local"]

_HOST_PORT = re.compile(
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])"
    r":(?P<port>[0-9]{1,5})"
)
_SOCKET_PATH = re.compile(r"/[A-Za-z0-9._/@+-]{1,1022}")


def _check_log_address(value: str) -> str:
    if value in ("stdout", "stderr"):
        return value
    if _SOCKET_PATH.fullmatch(value):
        if any(part in ("..", ".") for part in value.split("/")):
            raise ValueError(f"must not contain '.' or '..' components, got {value!r}")
        return value
    match = _HOST_PORT.fullmatch(value)
    if match is None or not 1 <= int(match.group("port")) <= 65535:
        raise ValueError(
            "must be stdout, stderr, a syslog socket path like /dev/log, or a syslog server "
            f"as ADDRESS:PORT like 198.18.0.5:514 (UDP), got {value[:60]!r}"
        )
    host = match.group("host")
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError(f"must hold a valid IPv6 address in brackets, got {host!r}") from None
    return value


LogAddress = Annotated[
    str,
    Field(
        max_length=1024,
        description="stdout, stderr, a syslog socket path (/dev/log) or ADDRESS:PORT (UDP)",
    ),
    AfterValidator(_check_log_address),
]


def _check_format_text(value: str) -> str:
    try:
        check_directive(f"log-format {value}")
    except ValueError as exc:
        raise ValueError(str(exc).replace("cannot be used in extra: ", "")) from None
    return value


FormatText = Annotated[
    str,
    Field(
        pattern=r"^[\x20-\x26\x28-\x7e]{1,1024}$",
        description="HAProxy log-format text: printable ASCII, no single quote",
    ),
    AfterValidator(_check_format_text),
]

HeaderName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", description="HTTP header name"),
]


class LogTarget(Strict):
    address: LogAddress
    facility: Facility = "local0"
    level: Level | None = Field(None, description="the least important level sent; empty: all")
    format: SyslogFormat | None = Field(
        None, description="syslog header format; raw suits stdout/stderr in containers"
    )


class RequestId(Single):
    header: HeaderName = Field(description="request header the id is sent in, e.g. X-Request-ID")
    format: FormatText = Field(
        "%{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid",
        description="log-format text of the id (printable ASCII, no single quote); the "
        "default is unique per request",
    )


class FrontendLogging(Single):
    enabled: bool = Field(True, description="false: this frontend logs nothing (`no log`)")
    format: Literal["http", "https", "tcp"] | None = Field(
        None, description="HAProxy's log format; empty: http for http frontends, tcp for tcp"
    )
    custom_format: FormatText | None = Field(
        None,
        description="log-format text of your own (printable ASCII, no single quote) instead "
        "of the named format",
    )
    log_empty_connections: bool = Field(
        False, description="also log connections that send nothing (turns dontlognull off)"
    )
    targets: list[LogTarget] = Field(
        default_factory=list,
        max_length=MAX_LOG_TARGETS,
        description="where this frontend logs; empty: the global targets",
    )
    request_id: RequestId | None = Field(
        None, description="give each request an id (http): header to servers, %ID in logs"
    )


# Log-format variables HAProxy 2.6 refuses in a tcp proxy ("format variable 'tr' is
# reserved for HTTP mode"): found by running `haproxy -c` on every documented variable.
HTTP_ONLY_VARIABLES = frozenset(
    {
        "r",
        "Ta",
        "Ti",
        "Tq",
        "tr",
        "trg",
        "trl",
        "Tr",
        "TR",
        "CC",
        "CS",
        "HM",
        "HP",
        "HPO",
        "HQ",
        "HU",
        "HV",
    }
)


def format_variables(text: str) -> Iterator[str]:
    """Yield the names of the `%name` variables of log-format text (not `%[...]`, `%%`)."""
    i = 0
    while (i := text.find("%", i)) != -1:
        i += 1
        if text.startswith("%", i):
            i += 1
            continue
        if text.startswith("{", i):  # flags: %{+Q}name
            i = text.find("}", i) + 1 or len(text)
        start = i
        while i < len(text) and (text[i].isalnum() or text[i] == "_"):
            i += 1
        if i > start:
            yield text[start:i]


def logging_errors(model: LbModel) -> Iterator[FieldError]:
    """Yield errors of the log settings: targets set twice, http logging on tcp frontends."""
    s = model.settings
    if s.log_targets and "log_target" in s.model_fields_set:
        yield FieldError(
            "settings.log_targets",
            "set log_target or log_targets, not both (log_targets replaces log_target)",
        )
    for fe in model.frontends:
        logging = fe.logging
        if logging is None:
            continue
        path = f"frontends[{fe.name}].logging"
        if not logging.enabled and logging.targets:
            yield FieldError(f"{path}.targets", "this frontend logs nothing (enabled: false)")
        if logging.format is not None and logging.custom_format is not None:
            yield FieldError(f"{path}.custom_format", "set format or custom_format, not both")
        if fe.mode == "tcp" and logging.format in ("http", "https"):
            yield FieldError(
                f"{path}.format", f"a tcp frontend cannot log in {logging.format} format; use tcp"
            )
        if fe.mode == "tcp" and logging.custom_format is not None:
            used = sorted(set(format_variables(logging.custom_format)) & HTTP_ONLY_VARIABLES)
            if used:
                names = ", ".join(f"%{name}" for name in used)
                yield FieldError(
                    f"{path}.custom_format",
                    f"{names} exist only in http mode; a tcp frontend cannot log them",
                )
        if fe.mode == "tcp" and logging.request_id is not None:
            yield FieldError(
                f"{path}.request_id", "a request id travels in an HTTP header: needs mode http"
            )
