"""Changes without a reload: HAProxy's runtime API on the LB hosts over persistent SSH.

targets.py reads the hosts from the Ansible inventory, ssh.py keeps one multiplexed SSH
connection per host, haproxy.py builds and checks runtime API commands, changes.py applies
a server change on every host of a pair in parallel, rotation.py new contents of
deployed certificates, CA/CRL files and maps (no reload).
"""

from __future__ import annotations

from .changes import HostRuntimeResult, RuntimeResult, apply_commands, server_commands
from .haproxy import (
    RuntimeAnswerError,
    ServerChange,
    ServerRuntimeState,
    model_change,
    runtime_state,
)
from .pool import ChannelPool
from .rotation import HostRotation, RotationResult, rotate_files
from .ssh import SshChannel, SshFailed
from .targets import HostTarget, InventoryUnreadable, read_targets

__all__ = [
    "ChannelPool",
    "HostRotation",
    "HostRuntimeResult",
    "HostTarget",
    "InventoryUnreadable",
    "RotationResult",
    "RuntimeAnswerError",
    "RuntimeResult",
    "ServerChange",
    "ServerRuntimeState",
    "SshChannel",
    "SshFailed",
    "apply_commands",
    "model_change",
    "read_targets",
    "rotate_files",
    "runtime_state",
    "server_commands",
]
