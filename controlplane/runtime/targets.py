"""The LB hosts of an Ansible inventory, as the runtime path's SSH needs them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..paths import role_defaults_file


@dataclass(frozen=True)
class HostTarget:
    """How to reach one LB host and its HAProxy runtime API socket."""

    name: str
    address: str
    port: int = 22
    user: str | None = None
    private_key: str | None = None
    ssh_common_args: str = ""
    haproxy_socket: str = "/run/haproxy/admin.sock"
    haproxy_config_path: str = "/etc/haproxy/haproxy.cfg"
    become: bool = False
    python: str = "/usr/bin/python3"
    # The attached files' owner and modes (inventory lbctl_files_*), and the deploy's
    # pending-reload markers (lbctl_pending): a rotation writes files as a deploy does.
    files_owner: str = "root"
    files_group: str = "root"
    files_dir_mode: str = "0750"
    files_mode: str = "0640"
    files_key_mode: str = "0600"
    pending_dir: str = "/run/lbctl/pending"

    @property
    def files_perms(self) -> dict[str, int | str]:
        """Return the owner and modes a host's attached files get, as lbctl_host takes them."""
        return {
            "owner": self.files_owner,
            "group": self.files_group,
            "dir_mode": int(self.files_dir_mode, 8),
            "file_mode": int(self.files_mode, 8),
            "key_mode": int(self.files_key_mode, 8),
        }


class InventoryUnreadable(Exception):
    """The inventory could not be read, or lacks a host the model names."""


def read_targets(inventory: Path | str, hosts: list[str] | None = None) -> dict[str, HostTarget]:
    """Return host name -> HostTarget for every (or each named) host of the inventory.

    Read with ansible-core's own inventory and variable managers, so INI, YAML, group vars
    and host vars mean what they mean to the deploy; the lbctl_defaults role gives the
    defaults (haproxy_socket) the deploy playbook would use.
    """
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    path = Path(inventory)
    if not path.is_file():
        raise InventoryUnreadable(f"inventory {path} does not exist")
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[str(path.resolve())])
    variables = VariableManager(loader=loader, inventory=manager)
    defaults = role_defaults()
    found: dict[str, HostTarget] = {}
    for name in hosts if hosts is not None else [h.name for h in manager.get_hosts()]:
        host = manager.get_host(name)
        if host is None:
            raise InventoryUnreadable(f"host {name!r} is not in inventory {path}")
        found[name] = target_from_vars(name, defaults | variables.get_vars(host=host))
    return found


def role_defaults() -> dict[str, Any]:
    """Return the lbctl_defaults role's plain (untemplated) default variables."""
    data = yaml.safe_load(role_defaults_file().read_text()) or {}
    return {k: v for k, v in data.items() if not (isinstance(v, str) and "{{" in v)}


def target_from_vars(name: str, hostvars: dict[str, Any]) -> HostTarget:
    """Return the HostTarget that a host's Ansible variables describe."""

    def text(key: str) -> str | None:
        value = hostvars.get(key)
        return None if value is None or value == "" else str(value)

    common = " ".join(
        filter(None, [text("ansible_ssh_common_args"), text("ansible_ssh_extra_args")])
    )
    return HostTarget(
        name=name,
        address=text("ansible_host") or text("ansible_ssh_host") or name,
        port=int(hostvars.get("ansible_port") or hostvars.get("ansible_ssh_port") or 22),
        user=text("ansible_user") or text("ansible_ssh_user"),
        private_key=text("ansible_ssh_private_key_file") or text("ansible_private_key_file"),
        ssh_common_args=common,
        haproxy_socket=text("haproxy_socket") or HostTarget.haproxy_socket,
        haproxy_config_path=text("haproxy_config_path") or HostTarget.haproxy_config_path,
        become=str(hostvars.get("ansible_become", False)).lower() in ("true", "yes", "1"),
        python=text("ansible_python_interpreter") or HostTarget.python,
        files_owner=text("lbctl_files_owner") or HostTarget.files_owner,
        files_group=text("lbctl_files_group") or HostTarget.files_group,
        files_dir_mode=_mode(hostvars.get("lbctl_files_dir_mode")) or HostTarget.files_dir_mode,
        files_mode=_mode(hostvars.get("lbctl_files_mode")) or HostTarget.files_mode,
        files_key_mode=_mode(hostvars.get("lbctl_files_key_mode")) or HostTarget.files_key_mode,
        pending_dir=text("lbctl_pending") or HostTarget.pending_dir,
    )


def _mode(value: object) -> str | None:
    """Return a mode as octal text; YAML reads an unquoted 0640 as the integer 416."""
    if value is None or value == "":
        return None
    return format(value, "o") if isinstance(value, int) else str(value)
