"""Deploy an environment: probe, order, push host by host per pair, stop at the first failure.

The hosts are reached through an executor (executor.py): Ansible over SSH by default.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..diff import FileDiff, diff_files
from ..model import LbModel
from ..render import (
    HAPROXY_FILE,
    KEEPALIVED_FILE,
    Rendered,
    haproxy_context,
    keepalived_context,
    monitor_url,
)
from ..runtime import server_commands
from .ansible_executor import AnsibleExecutor
from .attached import shipped_files
from .change_plan import plan_host
from .events import DeployEvent
from .executor import SUCCEEDED, Executor, HostDeploy, HostResult
from .lock import environment_lock
from .runner import interruptible
from .sequence import HostProbe, deploy_lanes, keepalived_phases, stale_servers


@dataclass
class DeployResult:
    hosts: list[HostResult] = field(default_factory=list)
    events: list[DeployEvent] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(h.status in SUCCEEDED for h in self.hosts)


def diff_deployed(rendered: Rendered, probes: dict[str, HostProbe]) -> list[FileDiff]:
    """Return the diff of the rendering against what the hosts run."""
    expected = {h.host: h.files for h in rendered.hosts if h.host in probes}
    return diff_files(expected, {h: p.files for h, p in probes.items() if p.reachable})


def deploy_environment(
    model: LbModel,
    rendered: Rendered,
    inventory: Path,
    environment: str,
    limit: list[str] | None = None,
    on_event: Callable[[DeployEvent], None] | None = None,
    lock_wait_s: float = 0.0,
    executor: Executor | None = None,
) -> DeployResult:
    """Push the rendering to every (or the limited) host, safest host first.

    The hosts of a pair are done one at a time, its current BACKUP before its MASTER;
    separate pairs go in parallel. The first failure anywhere stops every pair before its
    next host, so a bad config never reaches both hosts of a pair. `executor` reaches the
    hosts: Ansible over SSH through `inventory` unless another is given (a
    RecordingExecutor runs this logic without hosts). The executor asks the hosts what
    they run, then `plan` decides the order and the jobs from it, within one Ansible run.
    """
    executor = executor or AnsibleExecutor(inventory)
    result = DeployResult()
    sink_lock = threading.Lock()  # lanes report from their own threads

    def sink(event: DeployEvent) -> None:
        with sink_lock:
            result.events.append(event)
            if on_event:
                on_event(event)

    hosts = [h.host for h in rendered.hosts if not limit or h.host in limit]
    lanes: list[list[str]] = []

    def plan(probes: dict[str, HostProbe]) -> list[list[HostDeploy]]:
        """Decide, from what the hosts said, the lanes and each host's job ([]: no deploy)."""
        if any(not p.reachable for p in probes.values()):
            return []  # nothing is touched when any host cannot be asked: no half-done deploys
        lanes.extend(deploy_lanes(model, probes, hosts))
        return [[_host_deploy(model, rendered, probes[host]) for host in lane] for lane in lanes]

    with environment_lock(environment, lock_wait_s), executor.session(), interruptible() as stop:
        probes, outcomes = executor.probe_and_deploy(hosts, plan, sink, stop)
    if any(not p.reachable for p in probes.values()):
        result.hosts = [
            HostResult(p.host, "unreachable" if not p.reachable else "not run", error=p.error)
            for p in probes.values()
        ]
        return result
    result.hosts = [
        outcomes.get(host) or HostResult(host, "not run") for lane in lanes for host in lane
    ]
    return result


def _host_deploy(model: LbModel, rendered: Rendered, probe: HostProbe) -> HostDeploy:
    """Return what `probe.host` must install, from its rendering and what it runs now."""
    host = probe.host
    files = rendered.host(host).files
    live = probe.files
    forward = plan_host(host, live, files)
    backward = plan_host(host, files, live) if live.get(HAPROXY_FILE) else None
    # Only server weight/state lines changed: the runtime API replaces the reload, and a
    # rollback goes back the same way.
    runtime_path = forward.haproxy_path == "runtime"
    files_dir, attached = shipped_files(rendered, host)
    return HostDeploy(
        host=host,
        haproxy_cfg=files[HAPROXY_FILE],
        keepalived_phases=tuple(
            keepalived_phases(live.get(KEEPALIVED_FILE), files[KEEPALIVED_FILE])
        ),
        runtime_commands=tuple(server_commands(forward.runtime) if runtime_path else []),
        rollback_commands=tuple(
            server_commands(backward.runtime) if runtime_path and backward else []
        ),
        stale_servers=tuple(stale_servers(live.get(HAPROXY_FILE), files[HAPROXY_FILE])),
        expected_backends=tuple(b.name for b in haproxy_context(model, host).backends),
        vrrp_instances=tuple(i.name for i in keepalived_context(model, host).instances),
        monitor_url=monitor_url(model),
        files_dir=files_dir,
        attached=attached,
    )
