"""One multiplexed OpenSSH connection per LB host: the first call opens it, later ones reuse it.

Ansible starts a new process tree per run (1-2 s); a ControlMaster connection that stays up
for a while answers a command in tens of milliseconds, which is what a runtime change needs.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .targets import HostTarget

PERSIST_S = 90
CONNECT_TIMEOUT_S = 5


@dataclass
class SshFailed(Exception):
    """SSH could not run the command on the host (connection refused, auth, timeout)."""

    host: str
    message: str

    def __str__(self) -> str:
        return f"{self.host}: {self.message}"


class SshChannel:
    """Command lines for one host through an SSH ControlMaster in a private folder."""

    def __init__(self, target: HostTarget, control_path: Path) -> None:
        self.target = target
        self.control_path = control_path  # short: a unix socket path has ~100 characters

    def base_argv(self) -> list[str]:
        t = self.target
        argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}"]
        argv += ["-o", "ControlMaster=auto", "-o", f"ControlPath={self.control_path}"]
        argv += ["-o", f"ControlPersist={PERSIST_S}", "-p", str(t.port)]
        if t.private_key:
            argv += ["-i", t.private_key]
        if t.user:
            argv += ["-l", t.user]
        # Inventory-supplied options (e.g. host key policy), split like Ansible does.
        argv += shlex.split(t.ssh_common_args)
        return argv

    def command(self, argv: list[str]) -> list[str]:
        """Return the local argv that runs `argv` on the host through the ControlMaster.

        The remote side gets one shell word per argv item (ssh joins its arguments into a
        command line, so each is quoted here): input never becomes shell syntax.
        """
        remote = (["sudo", "-n", "--"] if self.target.become else []) + argv
        return [*self.base_argv(), "--", self.target.address, shlex.join(remote)]

    def close(self) -> None:
        """End the ControlMaster (if one runs) so no connection outlives its owner."""
        if not self.control_path.exists():
            return
        subprocess.run(
            [*self.base_argv(), "-O", "exit", self.target.address],
            capture_output=True,
            timeout=10,
            check=False,
        )
