"""The code of lbctl_haproxy_apply: install haproxy.cfg, reload seamlessly, prove the new worker.

Shared with lbctl_deploy_host, which runs it after the stage (an Ansible module can only
import module_utils).
"""

from __future__ import annotations

import os
import time
import urllib.request

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_host import (
    FilesRefused,
    StepFailed,
    atomic_copy,
    atomic_write,
    begin_install,
    declares_socket,
    end_install,
    haproxy_master_alive,
    journal_alerts,
    live_version,
    newest_worker,
    point_files_dir,
    read_bytes,
    read_tree,
    rotate_files,
    runtime_command,
    start_problems,
    versions_dir,
    wait_until,
)

# lbctl_haproxy_apply's options as AnsibleModule takes them (tests/deploy keeps the two equal).
ARGUMENT_SPEC = {
    "source": {"type": "path", "required": True},
    "pending": {"type": "path", "required": True},
    "config_path": {"type": "path", "required": True},
    "socket": {"type": "path", "required": True},
    "state_file": {"type": "path", "required": True},
    "stale_servers": {"type": "list", "elements": "str", "default": []},
    "reload_command": {"type": "str", "required": True},
    "start_command": {"type": "str", "required": True},
    "expected_backends": {"type": "list", "elements": "str", "default": []},
    "monitor_url": {"type": "str", "required": True},
    "timeout": {"type": "float", "default": 15.0},
    "runtime_commands": {"type": "list", "elements": "str", "default": []},
    "files_dir": {"type": "path", "default": ""},
    "files_version": {"type": "str", "default": ""},
    "files_pending": {"type": "path", "default": ""},
    "files_runtime": {"type": "bool", "default": False},
    "pid_file": {"type": "path", "default": ""},
}


# How often the verify step asks again (bounded by `timeout`). In the lab the new worker
# mostly answers the first question after the reload command returns; when it does not, a
# coarser poll adds up to its interval per host. A question is a local socket connect.
POLL_SECONDS = 0.02


def worker_pid(sock: str) -> str | None:
    """Return the pid of the worker answering the runtime API, or None."""
    info = runtime_command(sock, "show info")
    for line in (info or "").splitlines():
        if line.startswith("Pid:"):
            return line.split(":", 1)[1].strip()
    return None


def kept_states(dump: str, stale: set[str]) -> str:
    """Return the `show servers state` dump without the lines of stale servers."""
    kept = []
    for line in dump.splitlines():
        fields = line.split()
        # Data lines: be_id be_name srv_id srv_name ...
        if line.startswith("#") or len(fields) < 4 or f"{fields[1]}/{fields[3]}" not in stale:
            kept.append(line)
    return "\n".join(kept) + "\n"


def monitor_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def apply_runtime(module: AnsibleModule, before: str) -> dict:
    """Install the file and apply the server changes through the runtime API: no reload."""
    p = module.params
    began = time.monotonic()
    old_files = read_tree(p["files_dir"]) if files_change(p) else {}
    install(p, point=False)
    started = time.monotonic()
    proofs = {}
    if files_change(p):
        new_files = read_tree(os.path.join(versions_dir(p["files_dir"]), p["files_version"]))
        proofs = rotate_files(p["socket"], p["files_dir"], old_files, new_files)
        _point(p)  # on disk what runs now: a later reload loads the same files
    for command in p["runtime_commands"]:
        answer = runtime_command(p["socket"], command)
        if answer is None:
            raise StepFailed("runtime: apply", f"the runtime API did not answer `{command}`")
        if answer.strip():  # HAProxy answers a successful `set server` with nothing
            raise StepFailed("runtime: apply", f"`{command}`: {answer.strip()}")
    applied = time.monotonic()
    after = worker_pid(p["socket"])
    if after != before:
        raise StepFailed("verify: no reload", f"worker {before} became {after or 'none'}")
    _end(p)
    return {
        "lbctl_phases": _phases(began, started, applied, "runtime"),
        "path": "runtime",
        "worker_before": before,
        "worker_after": after,
        "runtime_seconds": round(time.monotonic() - started, 3),
        "files_rotated": sorted(proofs),
        # SHA-1 fingerprints `show ssl cert` reports for the new certificates
        "certificates_served": {k: v for k, v in proofs.items() if len(v) == 40},
    }


def files_change(p: dict) -> bool:
    """Return whether files_dir must name another version folder than it does."""
    return bool(p["files_dir"]) and live_version(p["files_dir"]) != (p["files_version"] or None)


def install(p: dict, point: bool = True) -> None:
    """Mark the reload pending, then install the new file (left alone when identical)."""
    try:
        begin_install(p["config_path"], p["pending"])
        if p["files_dir"] and p["files_pending"] and not os.path.exists(p["files_pending"]):
            # The version HAProxy runs, for the next deploy's stage if this one is cut short.
            atomic_write(p["files_pending"], (live_version(p["files_dir"]) or "").encode(), 0o600)
        atomic_copy(p["source"], p["config_path"])
        if point:
            _point(p)
    except OSError as exc:
        raise StepFailed("install: haproxy.cfg", str(exc)) from exc


def _point(p: dict) -> None:
    if files_change(p):
        try:
            point_files_dir(p["files_dir"], p["files_version"] or None)
        except OSError as exc:
            raise StepFailed("install: attached files", str(exc)) from exc


def _end(p: dict) -> None:
    """HAProxy was proven to run the installed files: remove the pending markers."""
    end_install(p["pending"])
    if p["files_pending"]:
        end_install(p["files_pending"])


def needed(p: dict, worker: str | None) -> str:
    """Return why HAProxy needs this apply ("" when it already runs `source` as is)."""
    if os.path.exists(p["pending"]) or (p["files_pending"] and os.path.exists(p["files_pending"])):
        return "reload pending"
    if worker is None:
        return "no admin socket" if master_alive(p) else "not running"
    if p["runtime_commands"]:
        return "runtime commands"
    new = read_bytes(p["source"])
    if new is None or read_bytes(p["config_path"]) != new:
        return "differs"  # a missing source too: the install step reports it
    if files_change(p):
        return "attached files differ"
    return ""


def master_alive(p: dict) -> bool:
    """Return whether an HAProxy master runs (per its pid file), answering or not."""
    return haproxy_master_alive(p["pid_file"])


def _worker_finder(p: dict):
    """Return how to find the serving worker of the config about to be installed, or None.

    None: the runtime API at `socket` names the worker that serves, as in lbctl's configs.
    A config an operator wrote (restored by the rollback of a first deploy) may open no such
    socket: then the master's youngest child is the serving worker.
    """
    with open(p["source"], encoding="utf-8", errors="replace") as handle:
        if declares_socket(handle.read(), p["socket"]):
            return None
    return lambda: newest_worker(p["pid_file"])


def no_new_worker(p: dict, before: str | None) -> StepFailed:
    """Return the failure of a reload that brought no new worker, with what explains it."""
    detail = f"no new worker within {p['timeout']:.0f}s (worker before: {before or 'none'})"
    with open(p["config_path"], encoding="utf-8", errors="replace") as handle:
        reasons = start_problems(handle.read(), p["pid_file"]) + journal_alerts()
    if reasons:
        detail += ": " + "; ".join(reasons)
    return StepFailed("verify: a new worker serves the runtime API", detail)


def apply(module: AnsibleModule, before: str | None) -> dict:
    """Install and reload (or apply the runtime commands); `before` is the worker's pid."""
    p = module.params
    began = time.monotonic()
    pending = os.path.exists(p["pending"]) or (
        bool(p["files_pending"]) and os.path.exists(p["files_pending"])
    )
    # The runtime API replaces the reload when it can do all of it: the server lines the
    # control plane vouched for (runtime_commands) and/or files it can replace, with
    # haproxy.cfg otherwise unchanged.
    files_moving = files_change(p)
    config_same = read_bytes(p["source"]) == read_bytes(p["config_path"])
    if (
        before is not None
        and not pending
        and (not files_moving or p["files_runtime"])
        and (p["runtime_commands"] or (files_moving and config_same))
    ):
        return apply_runtime(module, before)
    if before is not None:
        dump = runtime_command(p["socket"], "show servers state")
        if dump is None:
            raise StepFailed("reload: save server states", "the runtime API did not answer")
        try:
            atomic_write(p["state_file"], kept_states(dump, set(p["stale_servers"])).encode())
        except OSError as exc:
            raise StepFailed("reload: save server states", str(exc)) from exc
    current = _worker_finder(p)
    # Without the socket, `before` cannot tell the old worker: the process tree does.
    replaced = before if current is None else current()
    current = current or (lambda: worker_pid(p["socket"]))
    install(p)

    installed = time.monotonic()
    # A master without an admin socket runs too: reloading is right, starting is a no-op.
    running = before is not None or master_alive(p)
    command = p["reload_command"] if running else p["start_command"]
    rc, out, err = module.run_command(command)
    if rc != 0:
        raise StepFailed("reload: haproxy", f"`{command}` exited {rc}: {(err or out).strip()}")

    started = time.monotonic()
    after = wait_until(
        lambda: (pid := current()) not in (None, replaced) and pid,
        p["timeout"],
        POLL_SECONDS,
    )
    if after is None:
        raise no_new_worker(p, before)
    listed = set((runtime_command(p["socket"], "show backend") or "").split())
    missing = sorted(set(p["expected_backends"]) - listed)
    if missing:
        raise StepFailed(
            "verify: the runtime API lists the new backends", "missing " + ", ".join(missing)
        )
    if p["monitor_url"] and not wait_until(
        lambda: monitor_answers(p["monitor_url"]), 5.0, POLL_SECONDS
    ):
        raise StepFailed("verify: the monitor endpoint answers", f"no 200 from {p['monitor_url']}")
    _end(p)
    return {
        "lbctl_phases": _phases(began, installed, started, "reload"),
        "path": "reload",
        "worker_before": before,
        "worker_after": after,
        "reload_seconds": round(time.monotonic() - started, 3),
    }


def _phases(began: float, installed: float, applied: float, how: str) -> dict[str, float]:
    """Return seconds spent installing, reloading (or in the runtime API) and verifying."""
    now = time.monotonic()
    return {
        "install": round(installed - began, 3),
        how: round(applied - installed, 3),
        "verify": round(now - applied, 3),
    }


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    before = worker_pid(module.params["socket"])
    try:
        why = needed(module.params, before)
        if not why or module.check_mode:
            module.exit_json(changed=bool(why), why=why)
        module.exit_json(changed=True, why=why, **apply(module, before))
    except StepFailed as failure:
        module.fail_json(msg=str(failure), lbctl_step=failure.step)
    except FilesRefused as exc:
        module.fail_json(msg=f"install: {exc}", lbctl_step="install: attached files")
