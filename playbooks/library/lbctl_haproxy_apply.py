#!/usr/bin/python3
"""Ansible module: install haproxy.cfg, reload seamlessly, and prove the new worker serves it."""

from __future__ import annotations

import os
import time
import urllib.request

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_host import (
    StepFailed,
    atomic_copy,
    atomic_write,
    begin_install,
    end_install,
    read_bytes,
    runtime_command,
    wait_until,
)

DOCUMENTATION = r"""
module: lbctl_haproxy_apply
short_description: Seamless HAProxy reload with server states kept, proven by a new worker
description:
  - Dumps C(show servers state) into the server-state file, leaving out servers whose
    address, port or TLS changed (their old state must not be applied to a new server).
  - Installs C(source) over C(config_path) atomically and runs the reload command (the start
    command when HAProxy is not running, as on a first deploy).
  - HAProxy 2.6 reports no reload status, so success is proven. A worker with a new pid
    answers the runtime API, C(show backend) lists every expected backend, and the monitor
    endpoint answers 200.
  - With C(runtime_commands) (the plan found only server weight/state changes) and a
    running HAProxy, there is no reload. The file is installed (so it is what runs next
    time), the commands go through the runtime API (each must answer empty), and the same
    worker must still answer afterwards (proof that nothing reloaded).
  - Before the install, a pending-reload marker (C(pending)) saves the file HAProxy runs;
    it is removed once the new file is proven to run. A deploy cut short in between leaves
    it, so the next deploy reloads even though the live file already is the new one.
  - A failure reports the step that failed in C(msg) and C(lbctl_step).
  - Changes nothing (changed false) when HAProxy already runs C(source), that is when the
    live file holds it, no reload is pending, HAProxy answers and there are no
    C(runtime_commands). C(why) says what needed the apply (differs, reload pending, not
    running, runtime commands). In check mode the module only says whether it would act.
options:
  source: {type: path, required: true}
  pending: {type: path, required: true}
  config_path: {type: path, required: true}
  socket: {type: path, required: true}
  state_file: {type: path, required: true}
  stale_servers: {type: list, elements: str, default: []}
  reload_command: {type: str, required: true}
  start_command: {type: str, required: true}
  expected_backends: {type: list, elements: str, default: []}
  monitor_url: {type: str, required: true}
  timeout: {type: float, default: 15.0}
  runtime_commands: {type: list, elements: str, default: []}
"""

# The options above as AnsibleModule takes them (tests/deploy keeps the two equal).
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
}


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
    install(p)
    started = time.monotonic()
    for command in p["runtime_commands"]:
        answer = runtime_command(p["socket"], command)
        if answer is None:
            raise StepFailed("runtime: apply", f"the runtime API did not answer `{command}`")
        if answer.strip():  # HAProxy answers a successful `set server` with nothing
            raise StepFailed("runtime: apply", f"`{command}`: {answer.strip()}")
    after = worker_pid(p["socket"])
    if after != before:
        raise StepFailed("verify: no reload", f"worker {before} became {after or 'none'}")
    end_install(p["pending"])
    return {
        "path": "runtime",
        "worker_before": before,
        "worker_after": after,
        "runtime_seconds": round(time.monotonic() - started, 3),
    }


def install(p: dict) -> None:
    """Mark the reload pending, then install the new file (left alone when identical)."""
    try:
        begin_install(p["config_path"], p["pending"])
        atomic_copy(p["source"], p["config_path"])
    except OSError as exc:
        raise StepFailed("install: haproxy.cfg", str(exc)) from exc


def needed(p: dict, worker: str | None) -> str:
    """Return why HAProxy needs this apply ("" when it already runs `source` as is)."""
    if os.path.exists(p["pending"]):
        return "reload pending"
    if worker is None:
        return "not running"
    if p["runtime_commands"]:
        return "runtime commands"
    new = read_bytes(p["source"])
    if new is None or read_bytes(p["config_path"]) != new:
        return "differs"  # a missing source too: the install step reports it
    return ""


def apply(module: AnsibleModule, before: str | None) -> dict:
    """Install and reload (or apply the runtime commands); `before` is the worker's pid."""
    p = module.params
    if before is not None and p["runtime_commands"]:
        return apply_runtime(module, before)
    if before is not None:
        dump = runtime_command(p["socket"], "show servers state")
        if dump is None:
            raise StepFailed("reload: save server states", "the runtime API did not answer")
        try:
            atomic_write(p["state_file"], kept_states(dump, set(p["stale_servers"])).encode())
        except OSError as exc:
            raise StepFailed("reload: save server states", str(exc)) from exc
    install(p)

    command = p["reload_command"] if before is not None else p["start_command"]
    rc, out, err = module.run_command(command)
    if rc != 0:
        raise StepFailed("reload: haproxy", f"`{command}` exited {rc}: {(err or out).strip()}")

    started = time.monotonic()
    after = wait_until(
        lambda: (pid := worker_pid(p["socket"])) not in (None, before) and pid, p["timeout"]
    )
    if after is None:
        raise StepFailed(
            "verify: a new worker serves the runtime API",
            f"no new worker within {p['timeout']:.0f}s (worker before: {before or 'none'})",
        )
    listed = set((runtime_command(p["socket"], "show backend") or "").split())
    missing = sorted(set(p["expected_backends"]) - listed)
    if missing:
        raise StepFailed(
            "verify: the runtime API lists the new backends", "missing " + ", ".join(missing)
        )
    if not wait_until(lambda: monitor_answers(p["monitor_url"]), 5.0, 0.2):
        raise StepFailed("verify: the monitor endpoint answers", f"no 200 from {p['monitor_url']}")
    end_install(p["pending"])
    return {
        "path": "reload",
        "worker_before": before,
        "worker_after": after,
        "reload_seconds": round(time.monotonic() - started, 3),
    }


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    before = worker_pid(module.params["socket"])
    why = needed(module.params, before)
    if not why or module.check_mode:
        module.exit_json(changed=bool(why), why=why)
    try:
        module.exit_json(changed=True, why=why, **apply(module, before))
    except StepFailed as failure:
        module.fail_json(msg=str(failure), lbctl_step=failure.step)


if __name__ == "__main__":
    main()
