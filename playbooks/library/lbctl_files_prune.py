#!/usr/bin/python3
"""Ansible module: remove the attached files a successful deploy no longer references."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.lbctl_host import FilesRefused, live_version, prune_versions

DOCUMENTATION = r"""
module: lbctl_files_prune
short_description: Remove every version folder of files_dir but the one HAProxy runs
description:
  - Runs once the whole deploy of the host succeeded (HAProxy and keepalived proven), so the
    version folders a rollback would have needed are no longer needed. What files_dir
    names now is kept, and every other version folder (files no longer referenced, older
    contents) is removed.
options:
  files_dir: {type: path, required: true}
"""


def main() -> None:
    module = AnsibleModule(argument_spec={"files_dir": {"type": "path", "required": True}})
    try:
        removed = prune_versions(
            module.params["files_dir"], live_version(module.params["files_dir"])
        )
    except (FilesRefused, OSError) as exc:
        module.fail_json(msg=f"clean up: {exc}", lbctl_step="clean up: unreferenced files")
    module.exit_json(changed=bool(removed), removed=removed)


if __name__ == "__main__":
    main()
