"""lbctl's Ansible modules loaded in this process the way Ansible packs them for a host.

The modules import their shared code as `ansible.module_utils.lbctl_*` (lbctl_host, and the
code of a module lbctl_deploy_host shares); each is loaded once under that name from
playbooks/module_utils, so every test file sees the same one.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.support import ROOT

# In import order: later ones import the earlier ones.
MODULE_UTILS = (
    "lbctl_probing",
    "lbctl_host",
    "lbctl_staging",
    "lbctl_haproxy_reload",
    "lbctl_keepalived_reload",
)


def _load(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module_util(name: str) -> ModuleType:
    """Return playbooks/module_utils/NAME.py, as `ansible.module_utils.NAME`."""
    full = f"ansible.module_utils.{name}"
    if full not in sys.modules:
        sys.modules[full] = _load(full, f"playbooks/module_utils/{name}.py")
    return sys.modules[full]


def lbctl_host() -> ModuleType:
    """Return playbooks/module_utils/lbctl_host.py, as `ansible.module_utils.lbctl_host`."""
    return module_util("lbctl_host")


def host_module(name: str) -> ModuleType:
    """Return playbooks/library/NAME.py, its module_utils imports resolved."""
    for util in MODULE_UTILS:
        module_util(util)
    return _load(name, f"playbooks/library/{name}.py")
