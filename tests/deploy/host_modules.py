"""lbctl's Ansible modules loaded in this process the way Ansible packs them for a host.

The modules import their shared code as `ansible.module_utils.lbctl_host`; it is loaded
once under that name, so every test file sees the same one.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.support import ROOT


def _load(name: str, path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lbctl_host() -> ModuleType:
    """Return playbooks/module_utils/lbctl_host.py, as `ansible.module_utils.lbctl_host`."""
    name = "ansible.module_utils.lbctl_host"
    if name not in sys.modules:
        sys.modules[name] = _load(name, "playbooks/module_utils/lbctl_host.py")
    return sys.modules[name]


def host_module(name: str) -> ModuleType:
    """Return playbooks/library/NAME.py, its module_utils import resolved."""
    lbctl_host()
    return _load(name, f"playbooks/library/{name}.py")
