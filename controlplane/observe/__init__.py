"""Observe what the LB hosts really run: status now; drift, metrics and alerts build on it."""

from .status import (
    EnvironmentStatus,
    Finding,
    HostStatus,
    ServerState,
    VrrpState,
    collect_status,
    findings,
)

__all__ = [
    "EnvironmentStatus",
    "Finding",
    "HostStatus",
    "ServerState",
    "VrrpState",
    "collect_status",
    "findings",
]
