"""The executor that reaches hosts over SSH: lbctl's playbooks through ansible-runner."""

from __future__ import annotations

import base64
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..render import (
    HAPROXY_FILE,
    KEEPALIVED_FILE,
    KEEPALIVED_RELOAD_FILE,
    NOTIFY_SCRIPT,
    SERVER_STATE_FILE,
)
from .events import DeployEvent
from .executor import EventSink, HostDeploy, HostResult, HostStatus
from .runner import run_playbook
from .sequence import HostProbe


class AnsibleExecutor:
    """Probes with probe.yml and deploys one host at a time with deploy.yml."""

    def __init__(self, inventory: Path) -> None:
        self.inventory = inventory

    def probe(self, hosts: list[str], on_event: EventSink) -> dict[str, HostProbe]:
        return probe_hosts(self.inventory, hosts, on_event)

    def deploy(
        self, job: HostDeploy, on_event: EventSink, cancel: Callable[[], bool]
    ) -> HostResult:
        # deploy.yml reads the files from <render_dir>/<host>/; a folder per run, removed after.
        with tempfile.TemporaryDirectory(prefix="lbctl-render-") as render_dir:
            phase_names = _write_files(Path(render_dir) / job.host, job)
            started = time.monotonic()
            run = run_playbook(
                "deploy.yml",
                self.inventory,
                limit=job.host,
                extravars=_extravars(job, render_dir, phase_names),
                on_event=on_event,
                cancel=cancel,
            )
            return host_result(job.host, run.ok, run.events, time.monotonic() - started)


def probe_hosts(
    inventory: Path, hosts: list[str], on_event: EventSink | None = None, files_dir: str = ""
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


def _extravars(job: HostDeploy, render_dir: str, phase_names: list[str]) -> dict[str, Any]:
    """Return deploy.yml's extra vars (its header says what each one is)."""
    return {
        "haproxy_runtime_commands": list(job.runtime_commands),
        "haproxy_rollback_commands": list(job.rollback_commands),
        "render_dir": render_dir,
        "expected_backends": list(job.expected_backends),
        "stale_servers": list(job.stale_servers),
        "keepalived_phases": phase_names,
        "vrrp_instances": list(job.vrrp_instances),
        "files_dir": job.files_dir,
        "attached_names": [f.key for f in job.attached],
        "attached_private": [f.key for f in job.attached if f.private],
        # The paths the rendered files name, so playbook and config can never disagree.
        "monitor_url": job.monitor_url,
        "haproxy_state_file": SERVER_STATE_FILE,
        "lbctl_notify_hook": NOTIFY_SCRIPT,
        "lbctl_keepalived_reload_file": KEEPALIVED_RELOAD_FILE,
    }


def host_result(host: str, ok: bool, events: list[DeployEvent], seconds: float) -> HostResult:
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
