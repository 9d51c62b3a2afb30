"""The seam between a deploy's logic and the hosts: what an executor is asked, what it answers.

`deploy_environment` decides the order, the lanes, when to stop and what a rollback
restores; an executor only probes hosts and runs one host's deploy. `AnsibleExecutor`
does it over SSH; `RecordingExecutor` touches nothing, so that logic is testable anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from .attached import ShippedFile
from .events import DeployEvent
from .sequence import HostProbe

HostStatus = Literal["unchanged", "changed", "failed", "rolled back", "unreachable", "not run"]
SUCCEEDED: tuple[HostStatus, ...] = ("unchanged", "changed")
EventSink = Callable[[DeployEvent], None]


@dataclass
class HostResult:
    host: str
    status: HostStatus
    seconds: float = 0.0
    failed_step: str = ""
    error: str = ""


@dataclass(frozen=True)
class HostDeploy:
    """One host's part of a deploy: the files to install and what proves they run.

    The host changes only what differs from its live files; on any failure it restores
    them (`rollback_commands` undo `runtime_commands` without a reload).
    """

    host: str
    haproxy_cfg: str
    # keepalived.conf texts in install order, the last the final file: two when a VIP
    # moves between VRRP instances (first without it, then in its new instance).
    keepalived_phases: tuple[str, ...]
    # When only server weight/state lines change: the runtime API replaces the reload.
    runtime_commands: tuple[str, ...] = ()
    rollback_commands: tuple[str, ...] = ()
    # "backend/server" whose address, port or TLS changed: their saved state is dropped.
    stale_servers: tuple[str, ...] = ()
    expected_backends: tuple[str, ...] = ()  # proof the new HAProxy worker runs the new file
    vrrp_instances: tuple[str, ...] = ()  # each must report a state after keepalived's reload
    monitor_url: str = ""  # HAProxy's loopback monitor endpoint, 200 while it serves
    # The files haproxy.cfg names under files_dir (certificates, maps, ...): shipped,
    # checked, installed and rolled back with it; "" and () for a config without any.
    files_dir: str = ""
    attached: tuple[ShippedFile, ...] = ()


class Executor(Protocol):
    """Reaches the LB hosts for a deploy; each method reports progress through `on_event`."""

    def probe(self, hosts: list[str], on_event: EventSink) -> dict[str, HostProbe]:
        """Return what each host runs; an unreachable host's probe says so (never raises)."""
        ...

    def deploy(
        self, job: HostDeploy, on_event: EventSink, cancel: Callable[[], bool]
    ) -> HostResult:
        """Return the outcome of deploying one host; `cancel()` turning true asks to stop."""
        ...
