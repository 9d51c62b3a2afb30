#!/usr/bin/python3
"""Ansible module: stage lbctl's rendered files on an LB host in one round trip."""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_host import atomic_write, copy_if_exists, read_bytes

DOCUMENTATION = r"""
module: lbctl_stage
short_description: Upload rendered configs to staging, compare with the live ones, back up
description:
  - Writes haproxy.cfg and every keepalived phase file into C(staging), installs the VRRP
    notify hook, and reports which live file differs from its new version.
  - A live file that will be replaced is copied to C(backup) now, under the control plane's
    deploy lock, so the backup is exactly the file the install replaces.
  - One module call instead of a dozen tasks: each task is an SSH round trip.
options:
  haproxy_cfg: {type: str, required: true, description: new haproxy.cfg}
  keepalived_names:
    type: list
    elements: str
    required: true
    description: keepalived file names in install order; the last is the final keepalived.conf
  keepalived_contents: {type: list, elements: str, required: true, description: their texts}
  haproxy_config_path: {type: path, required: true}
  keepalived_config_path: {type: path, required: true}
  staging: {type: path, required: true}
  backup: {type: path, required: true}
  hook: {type: str, required: true, description: content of the VRRP notify hook}
  hook_path: {type: path, required: true}
  notify_url:
    type: str
    default: ""
    description: control plane base URL the hook reports VRRP transitions to; empty leaves
      C(notify_env_path) as it is
  notify_token: {type: str, default: "", description: API token (role operator) for the hook}
  notify_host: {type: str, default: "", description: the host name the hook reports}
  notify_env_path: {type: path, default: /etc/keepalived/lbctl-notify.env}
"""


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "haproxy_cfg": {"type": "str", "required": True, "no_log": True},
            "keepalived_names": {"type": "list", "elements": "str", "required": True},
            "keepalived_contents": {
                "type": "list",
                "elements": "str",
                "required": True,
                "no_log": True,  # holds the VRRP password
            },
            "haproxy_config_path": {"type": "path", "required": True},
            "keepalived_config_path": {"type": "path", "required": True},
            "staging": {"type": "path", "required": True},
            "backup": {"type": "path", "required": True},
            "hook": {"type": "str", "required": True},
            "hook_path": {"type": "path", "required": True},
            "notify_url": {"type": "str", "default": ""},
            "notify_token": {"type": "str", "default": "", "no_log": True},
            "notify_host": {"type": "str", "default": ""},
            "notify_env_path": {"type": "path", "default": "/etc/keepalived/lbctl-notify.env"},
        }
    )
    p = module.params
    for folder in (p["staging"], p["backup"]):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    if read_bytes(p["hook_path"]) != p["hook"].encode():
        atomic_write(p["hook_path"], p["hook"].encode(), 0o755)
    if p["notify_url"]:
        _write_notify_env(module)

    haproxy_new = p["haproxy_cfg"].encode()
    atomic_write(os.path.join(p["staging"], "haproxy.cfg"), haproxy_new)
    if len(p["keepalived_names"]) != len(p["keepalived_contents"]) or not p["keepalived_names"]:
        module.fail_json(msg="stage: keepalived_names and keepalived_contents must pair up")
    for name, content in zip(p["keepalived_names"], p["keepalived_contents"], strict=True):
        atomic_write(os.path.join(p["staging"], name), content.encode())
    keepalived_new = p["keepalived_contents"][-1].encode()

    haproxy_live = read_bytes(p["haproxy_config_path"])
    keepalived_live = read_bytes(p["keepalived_config_path"])
    result = {
        "haproxy_changed": haproxy_live != haproxy_new,
        "keepalived_changed": keepalived_live != keepalived_new,
        "haproxy_existed": haproxy_live is not None,
        "keepalived_existed": keepalived_live is not None,
    }
    if result["haproxy_changed"]:
        copy_if_exists(p["haproxy_config_path"], os.path.join(p["backup"], "haproxy.cfg"))
    if result["keepalived_changed"]:
        copy_if_exists(p["keepalived_config_path"], os.path.join(p["backup"], "keepalived.conf"))
    module.exit_json(changed=result["haproxy_changed"] or result["keepalived_changed"], **result)


def _write_notify_env(module: AnsibleModule) -> None:
    """Write the hook's settings (0600: it holds a token) unless they are already there."""
    p = module.params
    values = {"URL": p["notify_url"], "TOKEN": p["notify_token"], "HOST": p["notify_host"]}
    for key, value in values.items():
        if "\n" in value or "\r" in value:
            module.fail_json(msg=f"stage: lbctl_notify_{key.lower()} must be one line")
    text = "".join(f"LBCTL_NOTIFY_{key}={value}\n" for key, value in values.items())
    if read_bytes(p["notify_env_path"]) != text.encode():
        atomic_write(p["notify_env_path"], text.encode(), 0o600)


if __name__ == "__main__":
    main()
