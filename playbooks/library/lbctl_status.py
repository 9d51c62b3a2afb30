#!/usr/bin/python3
"""Ansible module: read an LB host's live state in one round trip (read-only)."""

from __future__ import annotations

import csv
import os
import subprocess

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_host import pid_alive, runtime_command

DOCUMENTATION = r"""
module: lbctl_status
short_description: HAProxy runtime state, keepalived VRRP states and held addresses
description:
  - HAProxy through its runtime API (C(show info), C(show stat)); keepalived's state per
    VRRP instance from the files lbctl's notify hook writes; the IPv4 and IPv6 addresses
    the host holds. Changes nothing.
options:
  socket: {type: path, required: true}
  keepalived_pid_file: {type: path, required: true}
  state_dir: {type: path, required: true}
"""


def haproxy_info(sock: str) -> dict | None:
    text = runtime_command(sock, "show info")
    if not text:
        return None
    info = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    return {
        "pid": int(info.get("Pid", 0) or 0),
        "version": info.get("Version", ""),
        "uptime_s": int(info.get("Uptime_sec", 0) or 0),
    }


def haproxy_servers(sock: str) -> list[dict]:
    text = runtime_command(sock, "show stat") or ""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        return []
    rows = csv.DictReader([lines[0][2:], *lines[1:]])
    return [
        {
            "pool": row["pxname"],
            "server": row["svname"],
            "status": row["status"],
            "weight": int(row.get("weight") or 0),
            "backup": row.get("bck") == "1",
            "check": row.get("check_status", ""),
            "sessions": int(row.get("scur") or 0),
            "sessions_total": int(row.get("stot") or 0),
        }
        for row in rows
        if row.get("svname") not in ("FRONTEND", "BACKEND") and row.get("type") == "2"
    ]


def vrrp_states(state_dir: str) -> list[dict]:
    states = []
    for name in sorted(os.listdir(state_dir)) if os.path.isdir(state_dir) else []:
        if name.endswith(".tmp"):
            continue
        with open(os.path.join(state_dir, name)) as handle:
            fields = handle.read().split()
        if len(fields) >= 3:
            states.append(
                {
                    "instance": name,
                    "state": fields[0],
                    "since": int(fields[1]),
                    "priority": int(fields[2]),
                }
            )
    return states


def addresses() -> list[str]:
    out = subprocess.run(["ip", "-o", "addr", "show"], capture_output=True, text=True)
    return [line.split()[3] for line in out.stdout.splitlines() if len(line.split()) > 3]


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "required": True},
            "keepalived_pid_file": {"type": "path", "required": True},
            "state_dir": {"type": "path", "required": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    module.exit_json(
        changed=False,
        haproxy=haproxy_info(p["socket"]),
        servers=haproxy_servers(p["socket"]),
        keepalived_running=pid_alive(p["keepalived_pid_file"]),
        vrrp=vrrp_states(p["state_dir"]),
        addresses=addresses(),
    )


if __name__ == "__main__":
    main()
