"""Access and abuse protection of a frontend: source allow/deny lists and rate limits.

Both act before the frontend's rules. A rate limit counts per client address in a stick
table that the pair's two HAProxy processes replicate with `peers`, so the counters
survive a failover. Cross-field rules are in `access_errors`, called from
`rules.check_model`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from ..errors import FieldError
from .base import Single
from .routing import MAX_TESTS, Cidr
from .types import Duration

if TYPE_CHECKING:
    from .schema import LbModel


class Access(Single):
    """Who may connect: everyone but `deny`, or only `allow` (and still not `deny`)."""

    allow: list[Cidr] = Field(
        default_factory=list, max_length=MAX_TESTS, description="only these sources; empty: all"
    )
    deny: list[Cidr] = Field(
        default_factory=list, max_length=MAX_TESTS, description="never these sources"
    )

    @model_validator(mode="after")
    def _lists_something(self) -> Access:
        if not (self.allow or self.deny):
            raise ValueError("give allow, deny or both")
        return self


class RateLimit(Single):
    """Per client address: at most `requests` per `period`, `connections` at once (429)."""

    requests: int | None = Field(
        None, ge=1, le=1_000_000_000, description="HTTP requests per period"
    )
    period: Duration = Field("10s", description="the window `requests` counts over")
    connections: int | None = Field(
        None, ge=1, le=10_000_000, description="concurrent connections per client"
    )
    table_size: int = Field(
        1_000_000, ge=1, le=100_000_000, description="client addresses remembered"
    )
    expire: Duration = Field("10m", description="an idle client's entry is forgotten after")

    @model_validator(mode="after")
    def _limits_something(self) -> RateLimit:
        if self.requests is None and self.connections is None:
            raise ValueError("give requests (per period), connections, or both")
        return self


def access_errors(model: LbModel) -> Iterator[FieldError]:
    """Return what a frontend's mode cannot do: a tcp frontend has no requests to count."""
    for fe in model.frontends:
        limit = fe.rate_limit
        if fe.mode == "tcp" and limit is not None and limit.requests is not None:
            yield FieldError(
                f"frontends[{fe.name}].rate_limit.requests",
                "a tcp frontend has no HTTP requests to count; limit connections instead, "
                "or use mode: http",
            )
