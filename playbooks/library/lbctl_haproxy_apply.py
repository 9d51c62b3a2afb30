#!/usr/bin/python3
"""Ansible module: install haproxy.cfg, reload seamlessly, and prove the new worker serves it."""

from __future__ import annotations

# The module's code lives in module_utils, where lbctl_deploy_host uses it too.
from ansible.module_utils.lbctl_haproxy_reload import *  # noqa: F403
from ansible.module_utils.lbctl_haproxy_reload import main

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
  - The attached files go with haproxy.cfg. C(files_dir) (a symlink to a version folder)
    is pointed at C(files_version) right after haproxy.cfg is installed, with the same
    pending-reload marker logic (C(files_pending) holds the version HAProxy runs), so the
    two are installed and rolled back together. With C(files_runtime) and a running
    HAProxy, changed certificates, CA files, CRL files and maps are replaced through the
    runtime API (set/commit ssl cert, ca-file, crl-file; prepare/add/commit map) without a
    reload; `show ssl cert` must report the new certificate's fingerprint and the same
    worker must still answer.
  - A host whose HAProxy runs without an admin socket (a config lbctl did not write; many
    have no C(stats socket)) is reloaded, not started, because the master named by
    C(pid_file) is alive. The new config has the socket, so the new worker is proven the
    usual way.
  - When no new worker comes up, the error says why as far as the host can tell, with what
    lbctl_host's C(start_problems) finds (file-descriptor limit, addresses) and HAProxy's
    own ALERT lines from the systemd journal, if there is one.
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
  files_dir: {type: path, default: ""}
  files_version: {type: str, default: ""}
  files_pending: {type: path, default: ""}
  files_runtime: {type: bool, default: false}
  pid_file: {type: path, default: ""}
"""

if __name__ == "__main__":
    main()
