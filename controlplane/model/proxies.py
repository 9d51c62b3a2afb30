"""Proxy options: per-frontend and per-pool timeouts, server options, check expectations.

Each field renders nothing at its default, so a v1 model keeps its bytes. Server options
(`check_interval`, `rise`, `fall`, `slow_start`, `send_proxy`, `maxconn`, `maxqueue`) can
be set for a whole pool (`default_server`) or per server; a server's own value wins.

Free text sent to or matched against a server (a tcp check's `send`, an `expect_string`,
an `expect_regex`) is printed quoted: the expectations between single quotes (HAProxy
expands nothing there, so a regex keeps its backslashes) and `send` between double
quotes; `send` writes line breaks as HAProxy reads them, `\\r` and `\\n`, so no
value holds a line-breaking character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from ..errors import FieldError
from .base import Port, Single
from .routing import Regex, Text
from .types import Duration

if TYPE_CHECKING:
    from .schema import LbModel

Count = Annotated[int, Field(ge=1, le=100)]
Connections = Annotated[int, Field(ge=1, le=10_000_000)]
SendProxy = Literal["v1", "v2"]


class FrontendTimeouts(Single):
    """Client-side timeouts of one frontend; empty ones keep settings.timeouts."""

    client: Duration | None = Field(None, description="idle client (e.g. long for WebSockets)")
    client_fin: Duration | None = Field(None, description="half-closed client connections")
    http_request: Duration | None = Field(None, description="time to receive a whole request")
    http_keep_alive: Duration | None = Field(None, description="idle time between requests")


class PoolTimeouts(Single):
    """Server-side timeouts of one pool; empty ones keep settings.timeouts."""

    connect: Duration | None = None
    server: Duration | None = Field(None, description="idle server (e.g. long for databases)")
    server_fin: Duration | None = Field(None, description="half-closed server connections")
    queue: Duration | None = Field(None, description="time a request may wait for a server")
    tunnel: Duration | None = Field(None, description="idle WebSocket/CONNECT tunnels")
    check: Duration | None = Field(None, description="health check connect + response")


class ServerDefaults(Single):
    """Options every server of a pool gets (HAProxy's `default-server`)."""

    check_interval: Duration | None = Field(None, description="time between health checks")
    rise: Count | None = Field(None, description="passed checks that bring a server up")
    fall: Count | None = Field(None, description="failed checks that take a server down")
    slow_start: Duration | None = Field(
        None, description="ramp a server's weight up over this time after it comes up"
    )
    send_proxy: SendProxy | None = Field(
        None, description="send the PROXY protocol header (v1 text, v2 binary) to servers"
    )
    maxconn: Connections | None = Field(None, description="connections per server")
    maxqueue: Connections | None = Field(None, description="requests queued per server")


# Printed between single quotes like a rule's free text: the same types, the same checks.
CheckText = Text
CheckRegex = Regex


_ESCAPE = re.compile(r"\\[rnt]")


def _check_send(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(
            "must write line breaks as \\r and \\n, as HAProxy reads them (in YAML: "
            "'PING\\r\\n' in single quotes)"
        )
    for char in _ESCAPE.sub("", value):
        if not " " <= char <= "~" or char in '"\\$':
            raise ValueError(
                "must be printable ASCII, line breaks written \\r \\n (and tabs \\t), "
                f"without '\"', '$' or another '\\', got {char!r}"
            )
    return value


SendText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        description="bytes a check sends: printable ASCII, line breaks written \\r\\n",
    ),
    AfterValidator(_check_send),
]


class AgentCheck(Single):
    """An agent on each server that answers its own state and weight (`agent-check`)."""

    port: Port = Field(description="TCP port of the agent on each server")
    interval: Duration = Field("2s", description="time between agent checks")
    send: SendText | None = Field(None, description="what to send the agent, if anything")


def proxy_option_errors(model: LbModel) -> Iterator[FieldError]:
    """Yield errors of checks and timeouts that HAProxy would refuse or ignore."""
    for check in model.health_checks:
        path = f"health_checks[{check.name}]"
        if check.type == "http" and check.send is not None:
            yield FieldError(
                f"{path}.send", "applies to tcp checks; an http check sends method, path, host"
            )
    for fe in model.frontends:
        t = fe.timeouts
        if t is not None and fe.mode == "tcp":
            for name in ("http_request", "http_keep_alive"):
                if getattr(t, name) is not None:
                    yield FieldError(
                        f"frontends[{fe.name}].timeouts.{name}", "applies to http frontends only"
                    )


def proxy_option_warnings(model: LbModel) -> Iterator[FieldError]:
    """Yield check options set on servers of a pool that has no health check."""
    for pool in model.pools:
        if pool.health_check is not None:
            continue
        for server in pool.servers:
            unused = [f for f in ("check_interval", "rise", "fall") if getattr(server, f)]
            if unused:
                yield FieldError(
                    f"pools[{pool.name}].servers[{server.name}].{unused[0]}",
                    "the pool has no health_check, so its servers are not checked",
                )
