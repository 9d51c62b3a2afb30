"""Process tuning (threads, `tune.*`) and per-frontend compression.

Only the `tune.*` items whose type lbctl knows are fields; any other stays in
`settings.extra`. Ranges are HAProxy 2.6's (Debian's build: at most 64 threads, libslz
for gzip and deflate).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from ..errors import FieldError
from .base import Single
from .types import Duration

if TYPE_CHECKING:
    from .schema import LbModel

MAX_THREADS = 64  # `haproxy -vv`: "Built with multi-threading support (MAX_THREADS=64...)"
MAX_COMPRESSED_TYPES = 64


class Tune(Single):
    """`tune.*` global settings; empty ones keep HAProxy's defaults."""

    bufsize: int | None = Field(
        None, ge=1024, le=1_048_576, description="tune.bufsize: buffer bytes (HAProxy: 16384)"
    )
    maxrewrite: int | None = Field(
        None, ge=0, le=524_288, description="tune.maxrewrite: bytes kept free for header rewrites"
    )
    # Below 5, HAProxy 2.6 cannot parse its own default error pages ("invalid default
    # message for HTTP return code 200"): measured with haproxy -c, 4 fails and 5 passes.
    http_maxhdr: int | None = Field(
        None, ge=5, le=32_767, description="tune.http.maxhdr: headers per request (HAProxy: 101)"
    )
    ssl_default_dh_param: Literal[1024, 2048, 3072, 4096] | None = Field(
        None, description="tune.ssl.default-dh-param: DHE key bits"
    )
    ssl_cachesize: int | None = Field(
        None, ge=0, le=10_000_000, description="tune.ssl.cachesize: TLS sessions cached"
    )
    ssl_lifetime: Duration | None = Field(
        None, description="tune.ssl.lifetime: how long a cached TLS session is reused"
    )
    h2_max_concurrent_streams: int | None = Field(
        None, ge=1, le=1_000, description="tune.h2.max-concurrent-streams per HTTP/2 connection"
    )
    maxaccept: int | None = Field(
        None, ge=-1, le=1_000_000, description="tune.maxaccept: accepts per wake-up; -1 no limit"
    )


def _check_mime_type(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.+-]{0,63}/[a-z0-9*][a-z0-9.+-]{0,127}", value):
        raise ValueError(f"must be a media type like text/html, got {value[:60]!r}")
    return value


MediaType = Annotated[
    str, Field(description="media type like text/html"), AfterValidator(_check_mime_type)
]


Algorithm = Literal["gzip", "deflate", "raw-deflate"]


def _default_types() -> list[str]:
    return ["text/html", "text/plain", "text/css", "application/javascript", "application/json"]


class Compression(Single):
    """Compress responses of these types with the first algorithm the client accepts."""

    algorithms: list[Algorithm] = Field(
        min_length=1, max_length=3, description="e.g. [gzip]; the first the client accepts wins"
    )
    types: list[MediaType] = Field(
        default_factory=_default_types, min_length=1, max_length=MAX_COMPRESSED_TYPES
    )


def tuning_errors(model: LbModel) -> Iterator[FieldError]:
    """Yield errors of tune settings HAProxy refuses and compression on tcp frontends."""
    tune = model.settings.tune
    if tune is not None and tune.maxrewrite is not None:
        bufsize = tune.bufsize or 16_384
        if tune.maxrewrite >= bufsize // 2:
            yield FieldError(
                "settings.tune.maxrewrite",
                f"must be less than half of bufsize ({bufsize}), got {tune.maxrewrite}",
            )
    for fe in model.frontends:
        if fe.compression is not None and fe.mode == "tcp":
            yield FieldError(
                f"frontends[{fe.name}].compression", "compresses HTTP responses: needs mode http"
            )
