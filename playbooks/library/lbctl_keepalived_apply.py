#!/usr/bin/python3
"""Ansible module: install keepalived.conf phase by phase, SIGHUP, prove it was re-read."""

from __future__ import annotations

# The module's code lives in module_utils, where lbctl_deploy_host uses it too.
from ansible.module_utils.lbctl_keepalived_reload import *  # noqa: F403
from ansible.module_utils.lbctl_keepalived_reload import main

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

if __name__ == "__main__":
    main()
