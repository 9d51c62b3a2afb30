"""The seam between a deploy's logic and the hosts: what an executor is asked, what it answers.

`deploy_environment` decides the order, the lanes and what a rollback restores; an
executor probes hosts and runs the lanes: side by side, each lane's hosts one at a time,
no lane starting its next host once any host failed. `AnsibleExecutor` does the probe and
the deploy over SSH in one playbook run; `RecordingExecutor` runs `run_lanes` here and
touches nothing, so that logic is testable anywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
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

    def session(self) -> AbstractContextManager[object]:
        """Return a context the runs of one deploy share (connections)."""
        ...

    def probe_and_deploy(
        self,
        hosts: list[str],
        plan: Callable[[dict[str, HostProbe]], list[list[HostDeploy]]],
        on_event: EventSink,
        cancel: Callable[[], bool],
    ) -> tuple[dict[str, HostProbe], dict[str, HostResult]]:
        """Return what each host runs, then each deployed host's outcome.

        Probes `hosts` (an unreachable host's probe says so; never raises), hands the
        probes to `plan`, which returns the lanes of jobs ([] deploys nothing), and runs
        them: lanes side by side, a lane's hosts in order; after the first failure anywhere
        no lane starts its next host ("not run"). `cancel()` turning true asks to stop.
        """
        ...


def run_lanes(
    lanes: list[list[HostDeploy]], deploy_one: Callable[[HostDeploy], HostResult]
) -> dict[str, HostResult]:
    """Return each host's result; lanes run side by side, hosts within a lane in order.

    The rule every executor keeps, written out for executors that deploy one host at a time.
    """
    failed = threading.Event()
    outcomes: dict[str, HostResult] = {}

    def run_lane(lane: list[HostDeploy]) -> None:
        for job in lane:
            if failed.is_set():
                outcomes[job.host] = HostResult(job.host, "not run")
                continue
            try:
                outcomes[job.host] = deploy_one(job)
            finally:
                if outcomes.get(job.host, HostResult(job.host, "failed")).status not in SUCCEEDED:
                    failed.set()

    if not lanes:
        return outcomes
    if len(lanes) == 1:
        run_lane(lanes[0])  # in this thread: nothing to wait for
    else:
        with ThreadPoolExecutor(len(lanes), thread_name_prefix="lbctl-lane") as pool:
            for done in [pool.submit(run_lane, lane) for lane in lanes]:
                done.result()
    return outcomes
