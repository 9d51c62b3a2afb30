#!/usr/bin/python3
"""Ansible module: stage lbctl's rendered files on an LB host in one round trip."""

from __future__ import annotations

# The module's code lives in module_utils, where lbctl_deploy_host uses it too.
from ansible.module_utils.lbctl_staging import *  # noqa: F403
from ansible.module_utils.lbctl_staging import main

DOCUMENTATION = r"""
module: lbctl_stage
short_description: Upload rendered configs to staging, compare with the live ones, back up
description:
  - Writes haproxy.cfg and every keepalived phase file into C(staging), installs the VRRP
    notify hook, and reports which live file differs from its new version.
  - A live file that will be replaced is copied to C(backup) now, under the control plane's
    deploy lock, so the backup is exactly the file the install replaces.
  - A daemon also needs the install + reload when its live file already is the new one but
    it does not run it; a pending-reload marker (C(haproxy_pending), C(keepalived_pending))
    is left by a deploy cut short between install and reload (its copy is what runs, so it
    becomes the backup), or the daemon does not run at all (C(haproxy_socket) does not
    answer, C(keepalived_pid_file) names no live process). C(haproxy_why) and
    C(keepalived_why) say which (differs, reload pending, not running).
  - One module call instead of a dozen tasks, as each task is an SSH round trip.
  - A file that cannot be written (a full disk) fails the step naming the file; nothing
    live has changed then.
  - With C(check), the staged files that change are then proven on the host as
    lbctl_haproxy_check does (haproxy -c with the new attached files bound over
    C(files_dir), then what a start would refuse) and with C(keepalived -t) for every
    keepalived phase; a refusal fails the step C(validate: haproxy -c on the host) or
    C(validate: keepalived -t on the host) with the tool's C(stdout) and C(stderr). Nothing
    live has changed then. Staging and checking in one call saves a round trip per host.
  - The files the config needs (C(attached_names), certificates, CA bundles, CRLs, maps,
    error pages) are written into their own version folder beside C(files_dir), with the
    owner and modes given (private keys C(files_key_mode)); the live C(files_dir) symlink
    is not touched (except on a host that has none yet, as no running config can use it).
    C(haproxy_why) is "attached files differ" when only they change, and C(files_runtime)
    says whether the runtime API can replace them without a reload (same names, every
    changed file a certificate, CA file, CRL file or map, HAProxy running what its files
    say); the apply module still reloads when haproxy.cfg changes otherwise.
options:
  check: {type: bool, default: false, description: run the host-side checks after staging}
  haproxy_pending: {type: path, default: "", description: the haproxy apply's marker}
  keepalived_pending: {type: path, default: "", description: the keepalived apply's marker}
  haproxy_socket: {type: path, default: "", description: runtime API; empty skips the check}
  haproxy_pid_file:
    type: path
    default: ""
    description: the master's pid file; a live master without an admin socket runs too
  keepalived_pid_file: {type: path, default: "", description: empty skips the check}
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
  files_dir: {type: path, default: "", description: settings.files_dir; empty when none}
  files_pending: {type: path, default: "", description: marker of the files version running}
  attached_names: {type: list, elements: str, default: [], description: keys under files_dir}
  attached_contents: {type: list, elements: str, default: [], description: their texts}
  attached_private: {type: list, elements: str, default: [], description: keys holding a key}
  files_owner: {type: str, default: root}
  files_group: {type: str, default: root}
  files_dir_mode: {type: raw, default: "0750", description: octal text, or YAML's int}
  files_mode: {type: raw, default: "0640"}
  files_key_mode: {type: raw, default: "0600"}
"""

if __name__ == "__main__":
    main()
