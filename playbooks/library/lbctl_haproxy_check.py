#!/usr/bin/python3
"""Ansible module: `haproxy -c` on the host, with the staged attached files at their paths."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_host import (
    FilesRefused,
    haproxy_check_argv,
    start_problems,
)

DOCUMENTATION = r"""
module: lbctl_haproxy_check
short_description: Prove the staged haproxy.cfg with the host's own haproxy -c
description:
  - Runs C(haproxy -c -f source). The config names its attached files at their final
    paths under C(files_dir); when a deploy changes them, C(files_dir) still names the
    files HAProxy runs. The check then runs in a private mount namespace (C(unshare
    --mount)) where the new version folder is bind-mounted over C(files_dir), so haproxy -c
    reads exactly the files the install will put in place, and nothing live changes
    before it passed.
  - Then what haproxy -c cannot know and a start would refuse (see lbctl_host's
    C(start_problems)) fails the check too, each problem as an ALERT line in C(stderr), namely
    a global maxconn needing more file descriptors than the hard limit the reloaded master
    gets (its own, read from C(pid_file)), a C(bind) address the host does not hold while
    net.ipv4.ip_nonlocal_bind is 0.
  - Returns C(stdout) and C(stderr) of haproxy -c, as a command task would.
options:
  source: {type: path, required: true}
  files_dir: {type: path, default: ""}
  files_version: {type: str, default: ""}
  pid_file: {type: path, default: "", description: the running HAProxy master's pid file}
"""

ARGUMENT_SPEC = {
    "source": {"type": "path", "required": True},
    "files_dir": {"type": "path", "default": ""},
    "files_version": {"type": "str", "default": ""},
    "pid_file": {"type": "path", "default": ""},
}

check_argv = haproxy_check_argv  # the stage module runs the same check (lbctl_host)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC)
    p = module.params
    try:
        argv = check_argv(p["source"], p["files_dir"], p["files_version"])
    except FilesRefused as exc:
        module.fail_json(msg=f"validate: {exc}", lbctl_step="validate: the attached files")
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg="haproxy -c refused the new config", rc=rc, stdout=out, stderr=err)
    problems = start_problems(_read(p["source"]), p["pid_file"])
    if problems:
        # HAProxy's own format, so the control plane reports them like haproxy -c's alerts.
        alerts = "".join(f"[ALERT]    (0) : config : {problem}\n" for problem in problems)
        module.fail_json(
            msg="HAProxy would not start this config", rc=1, stdout=out, stderr=err + alerts
        )
    module.exit_json(changed=False, rc=rc, stdout=out, stderr=err)


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


if __name__ == "__main__":
    main()
