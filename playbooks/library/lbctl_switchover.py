#!/usr/bin/python3
"""Ansible module: read (and optionally set) a VIP pair's switchover files on an LB host."""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_host import atomic_write, pid_alive

DOCUMENTATION = r"""
module: lbctl_switchover
short_description: drain or undrain an LB host's VRRP instances of one VIP pair
description:
  - Every VRRP instance lbctl renders tracks a file (C(file_prefix)<instance>); keepalived
    lowers the instance's priority (or puts it in FAULT) while the file holds 1, so the
    peer takes the VIPs without a restart or reload.
  - With C(value) unset the module only reads. It always returns, per instance of the pair,
    the VRRP state lbctl's notify hook recorded, the file's value, and whether the live
    keepalived.conf says nopreempt; and the addresses the host holds.
options:
  pair: {type: str, required: true}
  value: {type: int, choices: [0, 1]}
  file_prefix: {type: str, required: true}
  state_dir: {type: path, required: true}
  config_path: {type: path, required: true}
  keepalived_pid_file: {type: path, required: true}
"""


def pair_instances(config: str, pair: str) -> dict[str, dict]:
    """Return instance name -> {nopreempt, config_priority, vips} for the pair's instances.

    This host has no controlplane to import: the rules are those of its reader
    (controlplane/rendered_config.py), and tests/deploy/test_switchover.py proves both
    read lbctl's keepalived.conf alike.
    """
    found: dict[str, dict] = {}
    current = None
    for line in config.split("\n"):
        words = line.split()
        if not words or words[0][0] in "#!":  # blank, or a comment
            continue
        if not line[0].isspace() and len(words) == 3 and words[0::2] == ["vrrp_instance", "{"]:
            name = words[1]
            current = name if name == pair or name.startswith(pair + ":") else None
            if current:
                found[current] = {"nopreempt": False, "config_priority": 0, "vips": []}
        elif line.startswith("}"):
            current = None
        elif current and words == ["nopreempt"]:
            found[current]["nopreempt"] = True
        elif current and len(words) == 2 and words[0] == "priority" and words[1].isdecimal():
            found[current]["config_priority"] = int(words[1])
        elif current and len(words) == 3 and words[1] == "dev" and "/" in words[0]:
            found[current]["vips"].append(words[0].split("/")[0])
    return found


def read_value(path: str) -> int:
    try:
        with open(path) as handle:
            text = handle.read().strip()
    except FileNotFoundError:
        return 0
    return int(text) if text.lstrip("-").isdigit() else 0


def vrrp_state(state_dir: str, instance: str) -> dict:
    try:
        with open(os.path.join(state_dir, instance)) as handle:
            fields = handle.read().split()
    except FileNotFoundError:
        fields = []
    if len(fields) < 3:
        return {"state": "UNKNOWN", "since": 0, "priority": 0}
    return {"state": fields[0], "since": int(fields[1]), "priority": int(fields[2])}


def addresses(module: AnsibleModule) -> list[str]:
    _, out, _ = module.run_command(["ip", "-o", "addr", "show"])  # IPv6 VIPs too
    return [line.split()[3] for line in out.splitlines() if len(line.split()) > 3]


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "pair": {"type": "str", "required": True},
            "value": {"type": "int", "choices": [0, 1]},
            "file_prefix": {"type": "str", "required": True},
            "state_dir": {"type": "path", "required": True},
            "config_path": {"type": "path", "required": True},
            "keepalived_pid_file": {"type": "path", "required": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        with open(p["config_path"]) as handle:
            instances = pair_instances(handle.read(), p["pair"])
    except FileNotFoundError:
        instances = {}
    if not instances:
        module.fail_json(msg=f"no VRRP instance of pair {p['pair']} in {p['config_path']}")
    changed = False
    for name in instances:
        path = p["file_prefix"] + name
        if p["value"] is not None and read_value(path) != p["value"]:
            changed = True
            if not module.check_mode:
                atomic_write(path, f"{p['value']}\n".encode(), 0o644)
    running = pid_alive(p["keepalived_pid_file"])
    module.exit_json(
        changed=changed,
        keepalived_running=running,
        instances=[
            {
                "instance": name,
                "drained": read_value(p["file_prefix"] + name) != 0,
                **config,
                **(
                    vrrp_state(p["state_dir"], name)
                    if running
                    else {"state": "STOP", "since": 0, "priority": 0}
                ),
            }
            for name, config in instances.items()
        ],
        addresses=addresses(module),
    )


if __name__ == "__main__":
    main()
