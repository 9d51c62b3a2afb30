#!/usr/bin/python3
"""Ansible module: what an LB host runs (its files, its addresses), in one round trip."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: lbctl_probe
short_description: Read an LB host's deployed files and addresses; change nothing
description:
  - Returns the fact C(lbctl_probe) with C(haproxy_cfg) and C(keepalived_conf) (base64,
    empty when missing), C(haproxy_found) and C(keepalived_found) ("True"/"False"),
    C(addresses) (every address the host holds, both families, as ip -o addr prints them)
    and C(attached) (path -> SHA-256 of every file under C(files_dir), settings.files_dir;
    empty skips it).
  - One module call instead of one task per item, as each task is an SSH round trip and a
    Python start on the host, most of a probe's time.
  - Digests only for the attached files: a key's content never leaves the host.
options:
  haproxy_config_path: {type: path, required: true}
  keepalived_config_path: {type: path, required: true}
  files_dir: {type: path, default: ""}
"""

ARGUMENT_SPEC = {
    "haproxy_config_path": {"type": "path", "required": True},
    "keepalived_config_path": {"type": "path", "required": True},
    "files_dir": {"type": "path", "default": ""},
}


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def addresses() -> list[str]:
    """Return the addresses the host holds (CIDR form), IPv4 and IPv6."""
    out = subprocess.run(
        ["ip", "-o", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[3] for line in out.splitlines() if len(line.split()) > 3]


def attached(files_dir: str) -> dict[str, str]:
    """Return path -> SHA-256 of every file under files_dir (symlinks followed, no dot files)."""
    found = {}
    for top, _dirs, names in os.walk(files_dir, followlinks=True):
        for name in names:
            if name.startswith("."):  # as Ansible's find: an atomic write's temporary file
                continue
            path = os.path.join(top, name)
            data = _read(path)
            if data is not None:
                found[path] = hashlib.sha256(data).hexdigest()
    return found


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    haproxy, keepalived = _read(p["haproxy_config_path"]), _read(p["keepalived_config_path"])
    try:
        held = addresses()
    except (OSError, subprocess.CalledProcessError) as exc:
        module.fail_json(msg=f"probe: addresses: {exc}", lbctl_step="probe: addresses")
    facts = {
        "haproxy_cfg": base64.b64encode(haproxy or b"").decode(),
        "keepalived_conf": base64.b64encode(keepalived or b"").decode(),
        "haproxy_found": str(haproxy is not None),
        "keepalived_found": str(keepalived is not None),
        "addresses": held,
        "attached": attached(p["files_dir"]) if p["files_dir"] else {},
    }
    module.exit_json(changed=False, ansible_facts={"lbctl_probe": facts})


if __name__ == "__main__":
    main()
