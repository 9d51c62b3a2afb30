#!/usr/bin/python3
"""Ansible module: install keepalived.conf phase by phase, SIGHUP, prove it was re-read."""

from __future__ import annotations

import os

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

DOCUMENTATION = r"""
module: lbctl_keepalived_apply
short_description: Reload keepalived (never restart) and prove it re-read its configuration
description:
  - For each file of C(sources) in order (two when a VIP moves between VRRP instances, to
    remove it and then add it), installs it over C(config_path) atomically and runs the
    reload command (the start command when keepalived is not running, as on a first deploy).
  - The proof of the reload is C(reload_file), which the rendered config names. The module
    creates it before the reload and keepalived deletes it once it has read the new files.
  - Then keepalived must still run and every VRRP instance must have reported a state
    through the notify hook (its file in C(state_dir)).
  - Before the first install, a pending-reload marker (C(pending)) saves the file keepalived
    runs; it is removed once keepalived was proven to have re-read the new one. A deploy cut
    short in between leaves it, so the next deploy reloads an identical live file anyway.
  - Changes nothing (changed false) when keepalived already runs the last of C(sources),
    that is when the live file holds it, no reload is pending and keepalived runs. C(why)
    says what needed the apply (differs, reload pending, not running). In check mode the
    module only says whether it would act.
options:
  sources: {type: list, elements: path, required: true}
  pending: {type: path, required: true}
  config_path: {type: path, required: true}
  reload_command: {type: str, required: true}
  start_command: {type: str, required: true}
  pid_file: {type: path, required: true}
  reload_file: {type: path, required: true}
  instances: {type: list, elements: str, default: []}
  state_dir: {type: path, default: /run/lbctl/vrrp}
  timeout: {type: float, default: 10.0}
"""

# The options above as AnsibleModule takes them (tests/deploy keeps the two equal).
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
    if not wait_until(lambda: not os.path.exists(p["reload_file"]), p["timeout"]):
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


def apply(module: AnsibleModule) -> dict:
    p = module.params
    try:
        begin_install(p["config_path"], p["pending"])
    except OSError as exc:
        raise StepFailed("install: keepalived.conf", str(exc)) from exc
    for source in p["sources"]:
        apply_phase(module, source)
    if not pid_alive(p["pid_file"]):
        raise StepFailed("verify: keepalived runs", f"no live process in {p['pid_file']}")

    def missing() -> list[str]:
        names = p["instances"]
        return [n for n in names if not os.path.exists(os.path.join(p["state_dir"], n))]

    if wait_until(lambda: not missing(), p["timeout"]) is None:
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


if __name__ == "__main__":
    main()
