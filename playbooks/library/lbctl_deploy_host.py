#!/usr/bin/python3
"""Ansible module: a host's whole deploy in one round trip, rolled back on any failure."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_haproxy_reload import apply as haproxy_apply
from ansible.module_utils.lbctl_haproxy_reload import needed as haproxy_needed
from ansible.module_utils.lbctl_haproxy_reload import worker_pid
from ansible.module_utils.lbctl_host import (
    FilesRefused,
    StepFailed,
    live_version,
    prune_versions,
)
from ansible.module_utils.lbctl_keepalived_reload import apply as keepalived_apply
from ansible.module_utils.lbctl_keepalived_reload import needed as keepalived_needed
from ansible.module_utils.lbctl_probing import probe_facts
from ansible.module_utils.lbctl_staging import ARGUMENT_SPEC as STAGE_SPEC
from ansible.module_utils.lbctl_staging import stage_and_check

DOCUMENTATION = r"""
module: lbctl_deploy_host
short_description: Stage, check, install, reload and verify an LB host; roll back on failure
description:
  - Does in one module call what lbctl_stage, lbctl_haproxy_apply, lbctl_keepalived_apply
    and lbctl_files_prune do one call each, with their code. Every module call is an SSH
    round trip plus a Python and Ansible start on the host (0.7-1 s each on the 2-core lab
    machine, against 0.4 s of work for a reload), so a changed host costs one.
  - "Stage and check: as lbctl_stage with C(check) (every option of lbctl_stage is an option
    here). A refusal fails with the step it names; nothing live has changed then."
  - A host whose files and daemons already match is left alone (changed false).
  - Install + reload (or the runtime API) HAProxy as lbctl_haproxy_apply, then keepalived as
    lbctl_keepalived_apply (only when its file changed, a reload is pending or it does not
    run). On any failure, the files backed up by the stage go back and the daemons that
    changed are reloaded and verified again (HAProxy's runtime changes undone with
    C(haproxy_rollback_commands)); the module then fails with the first failure's step and
    message and C(lbctl_rollback) (after what). A rollback that fails too is reported with
    both messages and no C(lbctl_rollback).
  - Once both daemons are proven, every attached files' version folder but the one HAProxy
    runs is removed (as lbctl_files_prune).
  - "With C(probe), only what lbctl_probe does (its fact C(lbctl_probe), without attached
    files). deploy.yml probes with this module so that Ansible packs one module per run
    (packing one took 0.15-0.22 s of the controller's CPU on the 2-core lab machine). The
    deploy's options are required only without C(probe)."
  - Returns C(lbctl_verdict) (per daemon why it changes, "" when it does not) and
    C(lbctl_phases), the seconds of each phase on the host (stage, check, install, reload
    or runtime, verify, keepalived, rollback, clean up), for the control plane's report.
options:
  probe: {type: bool, default: false}
  haproxy_state_file: {type: path, required: true}
  haproxy_reload_command: {type: str, required: true}
  haproxy_start_command: {type: str, required: true}
  haproxy_timeout: {type: float, default: 15.0}
  stale_servers: {type: list, elements: str, default: []}
  expected_backends: {type: list, elements: str, default: []}
  monitor_url: {type: str, required: true}
  haproxy_runtime_commands: {type: list, elements: str, default: []}
  haproxy_rollback_commands: {type: list, elements: str, default: []}
  keepalived_reload_command: {type: str, required: true}
  keepalived_start_command: {type: str, required: true}
  keepalived_reload_file: {type: path, required: true}
  vrrp_instances: {type: list, elements: str, default: []}
  vrrp_state_dir: {type: path, default: /run/lbctl/vrrp}
  keepalived_timeout: {type: float, default: 10.0}
notes:
  - Takes every option of lbctl_stage too (not repeated here).
"""

# lbctl_stage's options, then what the install, reload and verify steps need beyond them.
_DEPLOY_SPEC: dict[str, dict[str, Any]] = STAGE_SPEC | {
    "haproxy_state_file": {"type": "path", "required": True},
    "haproxy_reload_command": {"type": "str", "required": True},
    "haproxy_start_command": {"type": "str", "required": True},
    "haproxy_timeout": {"type": "float", "default": 15.0},
    "stale_servers": {"type": "list", "elements": "str", "default": []},
    "expected_backends": {"type": "list", "elements": "str", "default": []},
    "monitor_url": {"type": "str", "required": True},
    "haproxy_runtime_commands": {"type": "list", "elements": "str", "default": []},
    "haproxy_rollback_commands": {"type": "list", "elements": "str", "default": []},
    "keepalived_reload_command": {"type": "str", "required": True},
    "keepalived_start_command": {"type": "str", "required": True},
    "keepalived_reload_file": {"type": "path", "required": True},
    "vrrp_instances": {"type": "list", "elements": "str", "default": []},
    "vrrp_state_dir": {"type": "path", "default": "/run/lbctl/vrrp"},
    "keepalived_timeout": {"type": "float", "default": 10.0},
}
# A probe reads only the two config paths: the deploy's required options are required
# when it deploys (AnsibleModule's required_if), not when it probes.
DEPLOY_REQUIRED = [name for name, option in _DEPLOY_SPEC.items() if option.get("required")]
PROBE_NEEDS = ("haproxy_config_path", "keepalived_config_path")
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    name: {key: value for key, value in option.items() if key != "required"}
    | ({"required": True} if name in PROBE_NEEDS else {})
    for name, option in _DEPLOY_SPEC.items()
} | {"probe": {"type": "bool", "default": False}}


class Step:
    """What the apply modules' code reads from its module: its own options, the command runner."""

    def __init__(self, module: AnsibleModule, params: dict[str, Any]) -> None:
        self.params = params
        self.run_command = module.run_command
        self.check_mode = False


def haproxy_params(p: dict[str, Any], staged: dict, rollback: bool) -> dict[str, Any]:
    """Return lbctl_haproxy_apply's options for the install (or the rollback) of this host."""
    if rollback:
        source = os.path.join(p["backup"], "haproxy.cfg")
        commands = [] if staged["haproxy_pending"] else p["haproxy_rollback_commands"]
        version = staged["files_live_version"]  # kept until the host succeeded
    else:
        source = os.path.join(p["staging"], "haproxy.cfg")
        # The runtime path assumes HAProxy runs the live file: not so with a reload pending,
        # nor when an attached file changes in a way only a reload applies.
        reload_only = staged["haproxy_pending"] or (
            staged["files_changed"] and not staged["files_runtime"]
        )
        commands = [] if reload_only else p["haproxy_runtime_commands"]
        version = staged["files_version"]
    params = {
        "source": source,
        "pending": p["haproxy_pending"],
        "config_path": p["haproxy_config_path"],
        "socket": p["haproxy_socket"],
        "state_file": p["haproxy_state_file"],
        "stale_servers": p["stale_servers"],
        "reload_command": p["haproxy_reload_command"],
        "start_command": p["haproxy_start_command"],
        "expected_backends": [] if rollback else p["expected_backends"],
        "monitor_url": monitor_to_verify(p["monitor_url"], source)
        if rollback
        else p["monitor_url"],
        "timeout": p["haproxy_timeout"],
        "runtime_commands": commands,
        "files_dir": p["files_dir"] if staged["files_managed"] else "",
        "files_version": version,
        "files_pending": p["files_pending"],
        # Only certificate/CA/CRL/map contents changed: the runtime API, no reload.
        "files_runtime": staged["files_runtime"],
        "pid_file": p["haproxy_pid_file"],
    }
    return params


def monitor_to_verify(url: str, config_path: str) -> str:
    """Return `url` when the restored config serves lbctl's monitor endpoint, else "".

    The previous config of an adopted host is the operator's own: it has no monitor
    endpoint, so its rollback is proven by its new worker alone.
    """
    path = "/" + url.split("://", 1)[-1].partition("/")[2]
    try:
        with open(config_path, encoding="utf-8", errors="replace") as handle:
            serves = any(line.split() == ["monitor-uri", path] for line in handle)
    except OSError:
        serves = False
    return url if serves else ""


def keepalived_params(p: dict[str, Any], rollback: bool) -> dict[str, Any]:
    """Return lbctl_keepalived_apply's options for the install (or the rollback)."""
    if rollback:
        sources = [os.path.join(p["backup"], "keepalived.conf")]
    else:
        sources = [os.path.join(p["staging"], name) for name in p["keepalived_names"]]
    params = {
        "sources": sources,
        "pending": p["keepalived_pending"],
        "config_path": p["keepalived_config_path"],
        "reload_command": p["keepalived_reload_command"],
        "start_command": p["keepalived_start_command"],
        "pid_file": p["keepalived_pid_file"],
        "reload_file": p["keepalived_reload_file"],
        "instances": [] if rollback else p["vrrp_instances"],
        "state_dir": p["vrrp_state_dir"],
        "timeout": p["keepalived_timeout"],
    }
    return params


def apply_host(module: AnsibleModule, staged: dict, phases: dict, rollback: bool) -> None:
    """Install, reload and verify what the stage found changed (or restore the backups).

    Raises StepFailed (FilesRefused) naming the step that failed.
    """
    p = module.params
    began = time.monotonic()
    if staged["haproxy_changed"] and (not rollback or staged["haproxy_existed"]):
        params = haproxy_params(p, staged, rollback)
        before = worker_pid(params["socket"])
        if haproxy_needed(params, before):
            done = haproxy_apply(Step(module, params), before)
            if not rollback:
                phases.update(done["lbctl_phases"])
    haproxy_done = time.monotonic()
    if staged["keepalived_changed"] and (not rollback or staged["keepalived_existed"]):
        params = keepalived_params(p, rollback)
        if keepalived_needed(params):
            keepalived_apply(Step(module, params))
        if not rollback:
            phases["keepalived"] = round(time.monotonic() - haproxy_done, 3)
    if rollback:
        phases["rollback"] = round(time.monotonic() - began, 3)


def probe(module: AnsibleModule) -> None:
    """Exit with what lbctl_probe tells (files and addresses); change nothing."""
    p = module.params
    try:
        facts = probe_facts(p["haproxy_config_path"], p["keepalived_config_path"], "")
    except (OSError, subprocess.CalledProcessError) as exc:
        module.fail_json(msg=f"probe: addresses: {exc}", lbctl_step="probe: addresses")
    module.exit_json(changed=False, ansible_facts={"lbctl_probe": facts})


def main() -> None:
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[("probe", False, [n for n in DEPLOY_REQUIRED if n not in PROBE_NEEDS])],
    )
    p = module.params
    if p["probe"]:
        probe(module)
    staged, phases = stage_and_check(module)
    verdict = {"haproxy": staged["haproxy_why"], "keepalived": staged["keepalived_why"]}
    report: dict[str, Any] = {"lbctl_verdict": verdict, "lbctl_phases": phases}
    if not staged["changed"]:
        module.exit_json(changed=False, **report)
    try:
        apply_host(module, staged, phases, rollback=False)
    except (StepFailed, FilesRefused) as failure:
        step = failure.step if isinstance(failure, StepFailed) else "install: attached files"
        message = str(failure) if isinstance(failure, StepFailed) else f"install: {failure}"
        try:
            apply_host(module, staged, phases, rollback=True)
        except (StepFailed, FilesRefused) as again:
            module.fail_json(
                msg=f"{message}; the rollback failed too: {again}", lbctl_step=step, **report
            )
        # The restores worked: the host runs its previous files (a fact the control plane reads).
        module.fail_json(msg=message, lbctl_step=step, lbctl_rollback={"after": message}, **report)
    if staged["files_managed"]:
        # After the whole host succeeded: a rollback no longer needs the previous files.
        began = time.monotonic()
        try:
            prune_versions(p["files_dir"], live_version(p["files_dir"]))
        except (FilesRefused, OSError) as exc:
            step = "clean up: unreferenced files"
            module.fail_json(msg=f"clean up: {exc}", lbctl_step=step, **report)
        phases["clean up"] = round(time.monotonic() - began, 3)
    module.exit_json(changed=True, **report)


if __name__ == "__main__":
    main()
