#!/usr/bin/python3
"""Ansible module: what an LB host runs (its files, its addresses), in one round trip."""

from __future__ import annotations

import subprocess

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_probing import probe_facts

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


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    try:
        facts = probe_facts(p["haproxy_config_path"], p["keepalived_config_path"], p["files_dir"])
    except (OSError, subprocess.CalledProcessError) as exc:
        module.fail_json(msg=f"probe: addresses: {exc}", lbctl_step="probe: addresses")
    module.exit_json(changed=False, ansible_facts={"lbctl_probe": facts})


if __name__ == "__main__":
    main()
