"""Deploy an environment: probe, order, push host by host per pair, stop at the first failure."""

from __future__ import annotations

import base64
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..diff import FileDiff, diff_files
from ..model import LbModel
from ..render import (
    HAPROXY_FILE,
    KEEPALIVED_FILE,
    KEEPALIVED_RELOAD_FILE,
    NOTIFY_SCRIPT,
    SERVER_STATE_FILE,
    Rendered,
    haproxy_context,
    keepalived_context,
    monitor_url,
)
from ..runtime import server_commands
from .change_plan import plan_host
from .events import DeployEvent
from .lock import environment_lock
from .runner import interruptible, run_playbook
from .sequence import HostProbe, deploy_lanes, keepalived_phases, stale_servers

HostStatus = Literal["unchanged", "changed", "failed", "rolled back", "unreachable", "not run"]
EventSink = Callable[[DeployEvent], None]
SUCCEEDED: tuple[HostStatus, ...] = ("unchanged", "changed")


@dataclass
class HostResult:
    host: str
    status: HostStatus
    seconds: float = 0.0
    failed_step: str = ""
    error: str = ""


@dataclass
class DeployResult:
    hosts: list[HostResult] = field(default_factory=list)
    events: list[DeployEvent] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(h.status in SUCCEEDED for h in self.hosts)


def probe_hosts(
    inventory: Path, hosts: list[str], on_event: EventSink | None = None
) -> dict[str, HostProbe]:
    """Return what each host runs: its deployed files and the addresses it holds."""
    run = run_playbook(
        "probe.yml", inventory, limit=",".join(hosts), on_event=on_event, fact_keys=("lbctl_probe",)
    )
    failed = {
        e.host: e.message
        for e in run.events
        if e.kind in ("failed", "unreachable") and not e.ignored
    }
    probes = {}
    for host in hosts:
        facts = run.facts.get(host, {}).get("lbctl_probe")
        if facts is None:
            probes[host] = HostProbe(host, False, {}, [], failed.get(host, "no answer"))
            continue
        probes[host] = HostProbe(
            host,
            True,
            {
                HAPROXY_FILE: _decode(facts, "haproxy"),
                KEEPALIVED_FILE: _decode(facts, "keepalived"),
            },
            list(facts.get("addresses", [])),
        )
    return probes


def _decode(facts: dict, name: str) -> str | None:
    key = "haproxy_cfg" if name == "haproxy" else "keepalived_conf"
    if str(facts.get(f"{name}_found")) != "True":
        return None
    return base64.b64decode(facts.get(key, "")).decode()


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
    on_event: EventSink | None = None,
    lock_wait_s: float = 0.0,
) -> DeployResult:
    """Push the rendering to every (or the limited) host, safest host first.

    The hosts of a pair are done one at a time, its current BACKUP before its MASTER;
    separate pairs go in parallel. The first failure anywhere stops every pair before its
    next host, so a bad config never reaches both hosts of a pair.
    """
    result = DeployResult()
    sink_lock = threading.Lock()  # lanes report from their own threads

    def sink(event: DeployEvent) -> None:
        with sink_lock:
            result.events.append(event)
            if on_event:
                on_event(event)

    hosts = [h.host for h in rendered.hosts if not limit or h.host in limit]
    with (
        environment_lock(environment, lock_wait_s),
        tempfile.TemporaryDirectory(prefix="lbctl-render-") as render_dir,
    ):
        probes = probe_hosts(inventory, hosts, sink)
        unreachable = [p for p in probes.values() if not p.reachable]
        if unreachable:
            # Nothing is touched when any host cannot be asked: no half-done deploys.
            result.hosts = [
                HostResult(p.host, "unreachable" if not p.reachable else "not run", error=p.error)
                for p in probes.values()
            ]
            return result
        lanes = deploy_lanes(model, probes, hosts)
        with interruptible() as interrupted:

            def deploy_one(host: str) -> HostResult:
                return _deploy_host(
                    model, rendered, inventory, probes[host], Path(render_dir), sink, interrupted
                )

            outcomes = _run_lanes(lanes, deploy_one)
        result.hosts = [outcomes[host] for lane in lanes for host in lane]
    return result


def _run_lanes(
    lanes: list[list[str]], deploy_one: Callable[[str], HostResult]
) -> dict[str, HostResult]:
    """Return each host's result; lanes run side by side, hosts within a lane in order."""
    failed = threading.Event()
    outcomes: dict[str, HostResult] = {}

    def run_lane(lane: list[str]) -> None:
        for host in lane:
            if failed.is_set():
                outcomes[host] = HostResult(host, "not run")
                continue
            try:
                outcomes[host] = deploy_one(host)
            finally:
                if outcomes.get(host, HostResult(host, "failed")).status not in SUCCEEDED:
                    failed.set()

    if len(lanes) == 1:
        run_lane(lanes[0])  # in this thread: nothing to wait for
    else:
        with ThreadPoolExecutor(len(lanes), thread_name_prefix="lbctl-lane") as pool:
            for done in [pool.submit(run_lane, lane) for lane in lanes]:
                done.result()
    return outcomes


def _deploy_host(
    model: LbModel,
    rendered: Rendered,
    inventory: Path,
    probe: HostProbe,
    render_dir: Path,
    sink: EventSink,
    cancel: Callable[[], bool],
) -> HostResult:
    host = probe.host
    files = rendered.host(host).files
    phases = keepalived_phases(probe.files.get(KEEPALIVED_FILE), files[KEEPALIVED_FILE])
    folder = render_dir / host
    folder.mkdir(parents=True, exist_ok=True)
    (folder / HAPROXY_FILE).write_text(files[HAPROXY_FILE])
    phase_names = [f"keepalived.phase{i + 1}.conf" for i in range(len(phases) - 1)]
    phase_names.append(KEEPALIVED_FILE)
    for name, text in zip(phase_names, phases, strict=True):
        (folder / name).write_text(text)
    live = probe.files
    forward = plan_host(host, live, files)
    backward = plan_host(host, files, live) if live.get(HAPROXY_FILE) else None
    runtime_path = forward.haproxy_path == "runtime"
    extravars = {
        # Only server weight/state lines changed: the runtime API replaces the reload.
        "haproxy_runtime_commands": server_commands(forward.runtime) if runtime_path else [],
        "haproxy_rollback_commands": (
            server_commands(backward.runtime) if runtime_path and backward else []
        ),
        "render_dir": str(render_dir),
        "expected_backends": [b.name for b in haproxy_context(model, host).backends],
        "stale_servers": stale_servers(probe.files.get(HAPROXY_FILE), files[HAPROXY_FILE]),
        "keepalived_phases": phase_names,
        "vrrp_instances": [i.name for i in keepalived_context(model, host).instances],
        # The paths the rendered files name, so playbook and config can never disagree.
        "monitor_url": monitor_url(model),
        "haproxy_state_file": SERVER_STATE_FILE,
        "lbctl_notify_hook": NOTIFY_SCRIPT,
        "lbctl_keepalived_reload_file": KEEPALIVED_RELOAD_FILE,
    }
    started = time.monotonic()
    run = run_playbook(
        "deploy.yml", inventory, limit=host, extravars=extravars, on_event=sink, cancel=cancel
    )
    seconds = time.monotonic() - started
    return _host_result(host, run.ok, run.events, seconds)


def _host_result(host: str, ok: bool, events: list[DeployEvent], seconds: float) -> HostResult:
    """Return a host's result from its deploy.yml run: the facts its events carry.

    A successful run changed the host when the stage step's verdict names a change; a
    failed one was rolled back when the rescue reported its restores done. The error is
    the first failure's: the cause, not the rollback's report that follows it.
    """
    mine = [e for e in events if e.host == host]
    if ok:
        changed = any(e.verdict is not None and e.verdict.changes for e in mine)
        return HostResult(host, "changed" if changed else "unchanged", seconds)
    failures = [e for e in mine if e.kind in ("failed", "unreachable") and not e.ignored]
    first = failures[0] if failures else None
    status: HostStatus = (
        "rolled back"
        if any(e.rolled_back for e in mine)
        else ("unreachable" if first and first.kind == "unreachable" else "failed")
    )
    return HostResult(
        host,
        status,
        seconds,
        (first.step or first.task) if first else "",
        first.message if first else "the playbook failed",
    )
