"""Changes without a reload: HAProxy's runtime API on the LB hosts over persistent SSH.

targets.py reads the hosts from the Ansible inventory, ssh.py keeps one multiplexed SSH
connection per host, haproxy.py builds and checks runtime API commands, changes.py applies
a server change on every host of a pair in parallel.
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
from .ssh import SshChannel, SshFailed
from .targets import HostTarget, InventoryUnreadable, read_targets

__all__ = [
    "ChannelPool",
    "HostRuntimeResult",
    "HostTarget",
    "InventoryUnreadable",
    "RuntimeAnswerError",
    "RuntimeResult",
    "ServerChange",
    "ServerRuntimeState",
    "SshChannel",
    "SshFailed",
    "apply_commands",
    "model_change",
    "read_targets",
    "runtime_state",
    "server_commands",
]
