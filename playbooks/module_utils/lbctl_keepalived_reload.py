"""The code of lbctl_keepalived_apply: install keepalived.conf phase by phase, SIGHUP, prove it.

Shared with lbctl_deploy_host, which runs it after HAProxy's step (an Ansible module can
only import module_utils).
"""

from __future__ import annotations

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_host import (
    StepFailed,
    atomic_copy,
    atomic_write,
    begin_install,
    end_install,
    pid_alive,
    read_bytes,
    wait_until,
)

# lbctl_keepalived_apply's options as AnsibleModule takes them (tests/deploy keeps the two equal).
ARGUMENT_SPEC = {
    "sources": {"type": "list", "elements": "path", "required": True},
    "pending": {"type": "path", "required": True},
    "config_path": {"type": "path", "required": True},
    "reload_command": {"type": "str", "required": True},
    "start_command": {"type": "str", "required": True},
    "pid_file": {"type": "path", "required": True},
    "reload_file": {"type": "path", "required": True},
    "instances": {"type": "list", "elements": "str", "default": []},
    "state_dir": {"type": "path", "default": "/run/lbctl/vrrp"},
    "timeout": {"type": "float", "default": 10.0},
}


# How often the verify step looks again (bounded by `timeout`): a file test is cheap, and a
# coarser poll only adds its interval to every reload.
POLL_SECONDS = 0.02


def apply_phase(module: AnsibleModule, source: str) -> None:
    p = module.params
    try:
        atomic_copy(source, p["config_path"])
    except OSError as exc:
        raise StepFailed("install: keepalived.conf", str(exc)) from exc
    running = pid_alive(p["pid_file"])
    try:
        atomic_write(p["reload_file"], b"lbctl\n", 0o600)
    except OSError as exc:
        raise StepFailed("reload: keepalived", str(exc)) from exc
    command = p["reload_command"] if running else p["start_command"]
    rc, out, err = module.run_command(command)
    if rc != 0:
        raise StepFailed("reload: keepalived", f"`{command}` exited {rc}: {(err or out).strip()}")
    if not wait_until(lambda: not os.path.exists(p["reload_file"]), p["timeout"], POLL_SECONDS):
        raise StepFailed(
            "verify: keepalived re-read its configuration",
            f"{p['reload_file']} still there {p['timeout']:.0f}s after `{command}`"
            " (is keepalived running?)",
        )


def needed(p: dict) -> str:
    """Return why keepalived needs this apply ("" when it already runs the last source)."""
    if os.path.exists(p["pending"]):
        return "reload pending"
    if not pid_alive(p["pid_file"]):
        return "not running"
    new = read_bytes(p["sources"][-1]) if p["sources"] else read_bytes(p["config_path"])
    if new is None or read_bytes(p["config_path"]) != new:
        return "differs"  # a missing source too: the install step reports it
    return ""


def running_instances(p: dict) -> set[str]:
    """Return the VRRP instances the running keepalived has: its installed file names them.

    keepalived keeps such an instance's state over a reload and calls the notify hook only
    at its next transition: on a pair adopted from hand-written configs (no lbctl hook
    yet) that instance reports no state after the first deploy's reload.
    """
    if not pid_alive(p["pid_file"]) or os.path.exists(p["pending"]):
        return set()  # a pending install: the file may be a half-applied new one
    text = (read_bytes(p["config_path"]) or b"").decode("utf-8", "replace")
    return set(re.findall(r"^\s*vrrp_instance\s+(\S+)", text, re.M))


def apply(module: AnsibleModule) -> dict:
    p = module.params
    running = running_instances(p)
    try:
        begin_install(p["config_path"], p["pending"])
    except OSError as exc:
        raise StepFailed("install: keepalived.conf", str(exc)) from exc
    for source in p["sources"]:
        apply_phase(module, source)
    if not pid_alive(p["pid_file"]):
        raise StepFailed("verify: keepalived runs", f"no live process in {p['pid_file']}")

    def missing() -> list[str]:
        # An instance keepalived ran already proves nothing by a state file (see above);
        # the reload file keepalived removed proved it read the new file.
        names = [n for n in p["instances"] if n not in running]
        return [n for n in names if not os.path.exists(os.path.join(p["state_dir"], n))]

    if wait_until(lambda: not missing(), p["timeout"], POLL_SECONDS) is None:
        raise StepFailed(
            "verify: keepalived runs every new VRRP instance",
            "no state reported for " + ", ".join(missing()),
        )
    end_install(p["pending"])
    return {"phases": len(p["sources"])}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    why = needed(module.params)
    if not why or module.check_mode:
        module.exit_json(changed=bool(why), why=why)
    try:
        module.exit_json(changed=True, why=why, **apply(module))
    except StepFailed as failure:
        module.fail_json(msg=str(failure), lbctl_step=failure.step)
