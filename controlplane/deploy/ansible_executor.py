"""The executor that reaches hosts over SSH: lbctl's playbooks through ansible-runner."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..render import (
    HAPROXY_FILE,
    KEEPALIVED_FILE,
    KEEPALIVED_RELOAD_FILE,
    NOTIFY_SCRIPT,
    SERVER_STATE_FILE,
)
from .events import DeployEvent, phase_seconds, timing_event
from .executor import EventSink, HostDeploy, HostResult, HostStatus
from .runner import run_playbook, ssh_session
from .sequence import HostProbe


class AnsibleExecutor:
    """Probes with probe.yml, then deploys every host in one run of deploy.yml.

    Within a `session`, the deploy reuses the probe's SSH connections.
    """

    def __init__(self, inventory: Path) -> None:
        self.inventory = inventory
        self._ssh_dir: Path | None = None
        self._probe_events: list[DeployEvent] = []

    @contextmanager
    def session(self) -> Iterator[Path]:
        with ssh_session() as folder:
            self._ssh_dir = folder
            try:
                yield folder
            finally:
                self._ssh_dir = None

    def probe(self, hosts: list[str], on_event: EventSink) -> dict[str, HostProbe]:
        self._probe_events = []

        def seen(event: DeployEvent) -> None:
            self._probe_events.append(event)
            on_event(event)

        return probe_hosts(self.inventory, hosts, seen, ssh_dir=self._ssh_dir)

    def deploy_lanes(
        self, lanes: list[list[HostDeploy]], on_event: EventSink, cancel: Callable[[], bool]
    ) -> dict[str, HostResult]:
        batches = host_batches(lanes)
        jobs = {job.host: job for lane in lanes for job in lane}
        if not jobs:
            return {}
        # deploy.yml reads the files from <render_dir>/<host>/; a folder per run, removed after.
        with tempfile.TemporaryDirectory(prefix="lbctl-render-") as render_dir:
            extravars: dict[str, Any] = {
                "lbctl_order": [host for batch in batches for host in batch],
                "lbctl_batches": [len(batch) for batch in batches],
                "render_dir": render_dir,
                "lbctl_jobs": {
                    host: _job_vars(job, _write_files(Path(render_dir) / host, job))
                    for host, job in jobs.items()
                },
            } | _host_paths()
            run = run_playbook(
                "deploy.yml",
                self.inventory,
                extravars=extravars,
                on_event=on_event,
                cancel=cancel,
                ssh_dir=self._ssh_dir,
            )
        results = host_results(list(jobs), run.ok, run.events)
        for host, result in results.items():
            if result.status != "not run":
                on_event(timing_event(host, self._probe_events + run.events))
        return results


def host_batches(lanes: list[list[HostDeploy]]) -> list[list[str]]:
    """Return the hosts in batches: every lane's first host, then every lane's second...

    A lane's hosts land in different batches, in its order; its lanes go side by side.
    """
    depth = max((len(lane) for lane in lanes), default=0)
    return [[lane[k].host for lane in lanes if len(lane) > k] for k in range(depth)]


def probe_hosts(
    inventory: Path,
    hosts: list[str],
    on_event: EventSink | None = None,
    files_dir: str = "",
    ssh_dir: Path | None = None,
) -> dict[str, HostProbe]:
    """Return what each host runs: its deployed files and the addresses it holds.

    With `files_dir`, also the digest of every attached file under it (for a plan).
    """
    run = run_playbook(
        "probe.yml",
        inventory,
        limit=",".join(hosts),
        extravars={"files_dir": files_dir} if files_dir else None,
        on_event=on_event,
        fact_keys=("lbctl_probe",),
        ssh_dir=ssh_dir,
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
            attached=_attached(facts.get("attached"), files_dir),
        )
    return probes


def _attached(found: object, files_dir: str) -> dict[str, str]:
    """Return key under files_dir -> digest, from find's path -> checksum."""
    if not isinstance(found, dict) or not files_dir:
        return {}
    prefix = files_dir.rstrip("/") + "/"
    return {
        str(path).removeprefix(prefix): str(checksum)
        for path, checksum in found.items()
        if str(path).startswith(prefix)
    }


def _decode(facts: dict, name: str) -> str | None:
    key = "haproxy_cfg" if name == "haproxy" else "keepalived_conf"
    if str(facts.get(f"{name}_found")) != "True":
        return None
    return base64.b64decode(facts.get(key, "")).decode()


def _write_files(folder: Path, job: HostDeploy) -> list[str]:
    """Write the host's files for the playbook; return the keepalived files' names in order."""
    folder.mkdir(parents=True)
    (folder / HAPROXY_FILE).write_text(job.haproxy_cfg)
    names = [f"keepalived.phase{i + 1}.conf" for i in range(len(job.keepalived_phases) - 1)]
    names.append(KEEPALIVED_FILE)
    for name, text in zip(names, job.keepalived_phases, strict=True):
        (folder / name).write_text(text)
    # The attached files travel as files the playbook reads (never as variables, which
    # ansible-runner writes into its job folder): under files/<key>, keys private to root.
    for file in job.attached:
        path = folder / "files" / file.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(file.text)
    return names


def _job_vars(job: HostDeploy, phase_names: list[str]) -> dict[str, Any]:
    """Return one host's entry of deploy.yml's lbctl_jobs (its header says what each is)."""
    return {
        "haproxy_runtime_commands": list(job.runtime_commands),
        "haproxy_rollback_commands": list(job.rollback_commands),
        "expected_backends": list(job.expected_backends),
        "stale_servers": list(job.stale_servers),
        "keepalived_phases": phase_names,
        "vrrp_instances": list(job.vrrp_instances),
        "files_dir": job.files_dir,
        "attached_names": [f.key for f in job.attached],
        "attached_private": [f.key for f in job.attached if f.private],
        "monitor_url": job.monitor_url,
    }


def _host_paths() -> dict[str, str]:
    """Return the paths the rendered files name, so playbook and config never disagree."""
    return {
        "haproxy_state_file": SERVER_STATE_FILE,
        "lbctl_notify_hook": NOTIFY_SCRIPT,
        "lbctl_keepalived_reload_file": KEEPALIVED_RELOAD_FILE,
    }


def host_results(hosts: list[str], ok: bool, events: list[DeployEvent]) -> dict[str, HostResult]:
    """Return each host's result from the deploy.yml run that deployed them all.

    A host with no event never started (an earlier batch failed); a run that failed
    before any host did (Ansible itself) fails the first host with what it said.
    """
    # The stop task is skipped on a batch's first host when nothing failed: not a start.
    started = {e.host for e in events if e.host and e.kind != "skipped"}
    results = {}
    for host in hosts:
        if host not in started:
            results[host] = HostResult(host, "not run")
            continue
        mine = [e for e in events if e.host == host]
        failed = any(e.kind in ("failed", "unreachable") and not e.ignored for e in mine)
        results[host] = host_result(host, not failed, mine, phase_seconds(mine).total)
    if not ok and not started and hosts:
        results[hosts[0]] = HostResult(hosts[0], "failed", error="the deploy playbook failed")
    return results


def host_result(host: str, ok: bool, events: list[DeployEvent], seconds: float) -> HostResult:
    """Return a host's result from its part of the deploy.yml run: the facts its events carry.

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
