"""The code of lbctl_stage: stage rendered files, compare with the live ones, check them.

Shared with lbctl_deploy_host, which runs it as its first step (an Ansible module can only
import module_utils).
"""

from __future__ import annotations

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_host import (
    FilesRefused,
    atomic_write,
    build_version,
    copy_if_exists,
    haproxy_check_argv,
    haproxy_master_alive,
    live_version,
    octal_mode,
    pid_alive,
    point_files_dir,
    read_bytes,
    read_tree,
    runtime_command,
    runtime_rotatable,
    start_problems,
    versions_dir,
)


def verdict(live: bytes | None, new: bytes, pending: bytes | None, running: bool) -> str:
    """Return why the daemon needs an install + reload ("" when it does not)."""
    if pending is not None:
        return "reload pending"
    if live != new:
        return "differs"
    return "" if running else "not running"


def running(name: str, p: dict) -> bool:
    """Return whether the daemon runs (True when its check is not configured)."""
    if name == "haproxy":
        sock = p["haproxy_socket"]
        if not sock or runtime_command(sock, "show info") is not None:
            return True
        return haproxy_master_alive(p["haproxy_pid_file"])
    return not p["keepalived_pid_file"] or pid_alive(p["keepalived_pid_file"])


def back_up(live_path: str, pending: bytes | None, backup_path: str) -> bool:
    """Save what a rollback restores: the file the daemon runs; return whether there is one."""
    if pending is not None:  # an install cut short: the daemon runs the marker's copy
        if pending:
            atomic_write(backup_path, pending)
        return bool(pending)
    return copy_if_exists(live_path, backup_path)


# lbctl_stage's options as AnsibleModule takes them; lbctl_deploy_host takes them too.
ARGUMENT_SPEC = {
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
    "haproxy_pending": {"type": "path", "default": ""},
    "keepalived_pending": {"type": "path", "default": ""},
    "haproxy_socket": {"type": "path", "default": ""},
    "haproxy_pid_file": {"type": "path", "default": ""},
    "keepalived_pid_file": {"type": "path", "default": ""},
    "files_dir": {"type": "path", "default": ""},
    "files_pending": {"type": "path", "default": ""},
    "attached_names": {"type": "list", "elements": "str", "default": []},
    # Certificates' private keys: never in Ansible's output.
    "attached_contents": {
        "type": "list",
        "elements": "str",
        "default": [],
        "no_log": True,
    },
    "attached_private": {"type": "list", "elements": "str", "default": []},
    "files_owner": {"type": "str", "default": "root"},
    "files_group": {"type": "str", "default": "root"},
    "files_dir_mode": {"type": "raw", "default": "0750"},
    "files_mode": {"type": "raw", "default": "0640"},
    "files_key_mode": {"type": "raw", "default": "0600"},
    "check": {"type": "bool", "default": False},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC)
    result, phases = stage_and_check(module)
    module.exit_json(lbctl_phases=phases, **result)


def stage_and_check(module: AnsibleModule) -> tuple[dict, dict[str, float]]:
    """Return the stage's verdict and its seconds per phase; fail the module naming the step."""
    began = time.monotonic()
    try:
        result = stage(module)
    except OSError as exc:
        step = "stage: write the files"
        module.fail_json(msg=f"{step}: {exc}", lbctl_step=step)
    except FilesRefused as exc:
        step = "stage: the attached files"
        module.fail_json(msg=f"{step}: {exc}", lbctl_step=step)
    staged = time.monotonic()
    if module.params["check"]:
        check_staged(module, result)
    # Where the time went, for the deploy's per-phase report.
    phases = {"stage": staged - began, "check": time.monotonic() - staged}
    return result, {k: round(v, 3) for k, v in phases.items()}


HAPROXY_CHECK = "validate: haproxy -c on the host"
KEEPALIVED_CHECK = "validate: keepalived -t on the host"


def check_staged(module: AnsibleModule, result: dict) -> None:
    """Prove the staged files that change with the host's own tools; fail the step if not."""
    p = module.params
    if result["haproxy_changed"]:
        source = os.path.join(p["staging"], "haproxy.cfg")
        files_dir = p["files_dir"] if result["files_managed"] else ""
        try:
            argv = haproxy_check_argv(source, files_dir, result["files_version"])
        except FilesRefused as exc:
            module.fail_json(msg=f"validate: {exc}", lbctl_step="validate: the attached files")
        rc, out, err = module.run_command(argv)
        if rc != 0:
            module.fail_json(
                msg="haproxy -c refused the new config",
                rc=rc,
                stdout=out,
                stderr=err,
                lbctl_step=HAPROXY_CHECK,
            )
        problems = start_problems(p["haproxy_cfg"], p["haproxy_pid_file"])
        if problems:
            # HAProxy's own format, so the control plane reports them like haproxy -c's.
            alerts = "".join(f"[ALERT]    (0) : config : {problem}\n" for problem in problems)
            module.fail_json(
                msg="HAProxy would not start this config",
                rc=1,
                stdout=out,
                stderr=err + alerts,
                lbctl_step=HAPROXY_CHECK,
            )
    if result["keepalived_changed"]:
        for name in p["keepalived_names"]:
            rc, out, err = module.run_command(
                ["keepalived", "-t", "-f", os.path.join(p["staging"], name)]
            )
            if rc != 0:
                module.fail_json(
                    msg="keepalived -t refused the new config",
                    rc=rc,
                    stdout=out,
                    stderr=err,
                    lbctl_step=KEEPALIVED_CHECK,
                )


def stage(module: AnsibleModule) -> dict:
    """Write the files to staging, back up what will change; return the verdict."""
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

    result: dict[str, bool | str] = {}
    for name, new, backup_name in (
        ("haproxy", haproxy_new, "haproxy.cfg"),
        ("keepalived", keepalived_new, "keepalived.conf"),
    ):
        live_path = p[f"{name}_config_path"]
        pending = read_bytes(p[f"{name}_pending"]) if p[f"{name}_pending"] else None
        why = verdict(read_bytes(live_path), new, pending, running(name, p))
        backup = os.path.join(p["backup"], backup_name)
        result[f"{name}_changed"] = bool(why)
        result[f"{name}_why"] = why
        result[f"{name}_pending"] = pending is not None
        # Whether a rollback has a file to restore (only a changing daemon needs one).
        result[f"{name}_existed"] = bool(why) and back_up(live_path, pending, backup)
    files = stage_files(module)
    if files["files_changed"] and not result["haproxy_why"]:
        result["haproxy_why"] = "attached files differ"
        result["haproxy_changed"] = True
        result["haproxy_existed"] = back_up(
            p["haproxy_config_path"], None, os.path.join(p["backup"], "haproxy.cfg")
        )
    result |= files
    return {"changed": result["haproxy_changed"] or result["keepalived_changed"], **result}


def stage_files(module: AnsibleModule) -> dict:
    """Write the attached files' version folder; say how it differs from what runs."""
    p = module.params
    names, contents = p["attached_names"], p["attached_contents"]
    none = {
        "files_managed": False,
        "files_changed": False,
        "files_runtime": False,
        "files_version": "",
        "files_live_version": "",
    }
    if not p["files_dir"]:
        return none
    if len(names) != len(contents):
        module.fail_json(msg="stage: attached_names and attached_contents must pair up")
    live = live_version(p["files_dir"])
    if not names and live is None:
        return none  # a config without files on a host that never had any
    pending = read_bytes(p["files_pending"]) if p["files_pending"] else None
    # A deploy cut short between install and reload: HAProxy runs the marker's version.
    running = pending.decode().strip() or None if pending is not None else live
    files = {name: text.encode() for name, text in zip(names, contents, strict=True)}
    if not files:
        # The config names no file any more: files_dir goes with the install, and the
        # clean-up after the deploy removes every version folder.
        return {**none, "files_managed": True, "files_changed": running is not None}
    perms = {
        "owner": p["files_owner"],
        "group": p["files_group"],
        "dir_mode": octal_mode(p["files_dir_mode"]),
        "file_mode": octal_mode(p["files_mode"]),
        "key_mode": octal_mode(p["files_key_mode"]),
    }
    version = build_version(p["files_dir"], files, set(p["attached_private"]), perms)
    if live is None:
        # No files_dir yet, so no running config reads it: it may name the new files now,
        # and haproxy -c on the host finds them at their final paths.
        point_files_dir(p["files_dir"], version)
    old = read_tree(os.path.join(versions_dir(p["files_dir"]), running)) if running else {}
    return {
        "files_managed": True,
        "files_changed": running != version,
        "files_runtime": pending is None
        and running is not None
        and runtime_rotatable(old, files, p["haproxy_socket"], p["files_dir"]),
        "files_version": version,
        "files_live_version": running or "",
    }


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
