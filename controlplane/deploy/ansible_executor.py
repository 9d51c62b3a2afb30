"""The executor that reaches hosts over SSH: lbctl's playbooks through ansible-runner."""

from __future__ import annotations

import base64
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..render import (
    HAPROXY_FILE,
    KEEPALIVED_FILE,
    KEEPALIVED_RELOAD_FILE,
    NOTIFY_SCRIPT,
    SERVER_STATE_FILE,
)
from .events import DeployEvent, phase_seconds, run_timing_event, timing_event
from .executor import EventSink, HostDeploy, HostResult, HostStatus
from .runner import PlaybookRun, run_playbook, ssh_session
from .sequence import HostProbe


class AnsibleExecutor:
    """Probes and deploys every host in one run of deploy.yml (SSH shared within `session`).

    The run's first play asks each host what it runs (lbctl_probe); the control plane then
    decides the order and each host's job (`plan`) and hands them to the second play
    through a file the run waits for, so Ansible starts once per deploy.
    """

    def __init__(self, inventory: Path) -> None:
        self.inventory = inventory
        self._ssh_dir: Path | None = None

    @contextmanager
    def session(self) -> Iterator[Path]:
        with ssh_session() as folder:
            self._ssh_dir = folder
            try:
                yield folder
            finally:
                self._ssh_dir = None

    def probe(self, hosts: list[str], on_event: EventSink) -> dict[str, HostProbe]:
        return probe_hosts(self.inventory, hosts, on_event, ssh_dir=self._ssh_dir)

    def probe_and_deploy(
        self, hosts: list[str], plan: Plan, on_event: EventSink, cancel: Callable[[], bool]
    ) -> tuple[dict[str, HostProbe], dict[str, HostResult]]:
        decided: list[Decision] = []  # set once, from the event that starts the decide task

        def decide(raw: dict[str, Any], run: PlaybookRun) -> None:
            task = (raw.get("event_data") or {}).get("task", "")
            if raw.get("event") != "playbook_on_task_start" or task != DECIDE_TASK or decided:
                return
            decided.append(Decision.make(hosts, run, plan, Path(render_dir)))

        def seen(event: DeployEvent) -> None:
            if event.task != DECIDE_TASK:  # the control plane's own step: not a host's
                on_event(event)

        # deploy.yml reads the files from <render_dir>/<host>/; a folder per run, removed after.
        began = time.time()
        with tempfile.TemporaryDirectory(prefix="lbctl-render-") as render_dir:
            run = run_playbook(
                "deploy.yml",
                self.inventory,
                extravars={
                    "lbctl_hosts": hosts,
                    "render_dir": render_dir,
                    "lbctl_decision_file": str(Path(render_dir) / DECISION_FILE),
                }
                | _host_paths(),
                on_event=seen,
                fact_keys=("lbctl_probe",),
                cancel=cancel,
                ssh_dir=self._ssh_dir,
                on_raw=decide,
            )
        if decided and decided[0].error is not None:
            raise decided[0].error
        events = [e for e in run.events if e.task != DECIDE_TASK]
        probes = decided[0].probes if decided else probes_of(hosts, run)
        deployed = decided[0].order if decided else []
        deploy_events = [e for e in events if not e.task.startswith(PROBE_TASK)]
        results = host_results(deployed, run.ok, deploy_events)
        for host, result in results.items():
            if result.status != "not run":
                on_event(timing_event(host, events))
        if decided:
            on_event(run_timing_event(began, decided[0].at, events, time.time()))
        return probes, results


# The probe play's task, and the task of that play whose start has the control plane
# decide (deploy.yml names them; every host's probe has ended when it starts).
PROBE_TASK = "probe: files and addresses"
DECIDE_TASK = "lbctl: the control plane decides the order and the jobs"
DECISION_FILE = "decision.json"
# What the control plane decides from the probes: each lane's jobs, [] to deploy nothing.
Plan = Callable[[dict[str, HostProbe]], list[list[HostDeploy]]]


@dataclass
class Decision:
    """What the control plane decided from the probe play, as the deploy play reads it."""

    probes: dict[str, HostProbe]
    order: list[str]
    error: BaseException | None = None
    at: tuple[float, float] = (0.0, 0.0)  # when the decision began and when it was written

    @classmethod
    def make(cls, hosts: list[str], run: PlaybookRun, plan: Plan, render_dir: Path) -> Decision:
        """Decide from the probes so far and write the decision file the run waits for.

        Whatever happens, the file is written (an empty order deploys nothing): the run
        would otherwise wait for it until its timeout. An error is kept for the caller.
        """
        began = time.time()
        probes = probes_of(hosts, run)
        decision = cls(probes, [])
        try:
            lanes = plan(probes)
            content = decision_vars(render_dir, lanes)
            decision.order = content["order"]
        except BaseException as exc:  # re-raised by the caller once Ansible has stopped
            decision.error = exc
            content = {"order": [], "batches": [1], "jobs": {}}
        target = render_dir / DECISION_FILE
        partial = target.with_suffix(".part")
        partial.write_text(json.dumps(content))
        partial.rename(target)  # the run reads it whole or not at all
        decision.at = (began, time.time())
        return decision


def decision_vars(render_dir: Path, lanes: list[list[HostDeploy]]) -> dict[str, Any]:
    """Write each host's files under `render_dir`; return what deploy.yml's deploy play reads.

    `order` is the hosts batch after batch, `batches` how many hosts each batch has, `jobs`
    per host what its deploy asks (deploy.yml's header says what each entry is).
    """
    batches = host_batches(lanes)
    jobs = {job.host: job for lane in lanes for job in lane}
    return {
        "order": [host for batch in batches for host in batch],
        "batches": [len(batch) for batch in batches] or [1],
        "jobs": {
            host: _job_vars(job, _write_files(render_dir / host, job)) for host, job in jobs.items()
        },
    }


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
    return probes_of(hosts, run, files_dir)


def probes_of(hosts: list[str], run: PlaybookRun, files_dir: str = "") -> dict[str, HostProbe]:
    """Return each host's probe from a run's lbctl_probe facts (or why there is none)."""
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
    # The stop task is skipped on a batch's first host when nothing failed: not a start; a
    # step that began ("task") but never answered (the run was stopped) has no result.
    started = {e.host for e in events if e.host and e.kind not in ("skipped", "task")}
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
