"""One multiplexed OpenSSH connection per LB host: the first call opens it, later ones reuse it.

Ansible starts a new process tree per run (1-2 s); a ControlMaster connection that stays up
for a while answers a command in tens of milliseconds, which is what a runtime change needs.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .targets import HostTarget, InventoryUnreadable, read_targets

if TYPE_CHECKING:
    from .agent import HostAgent

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


class ChannelPool:
    """The SSH channels (and runtime agents) of one process, by host, in a private folder."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._channels: dict[tuple[str, HostTarget], SshChannel] = {}
        self._agents: dict[tuple[str, HostTarget], HostAgent] = {}
        self._lock = threading.Lock()
        self._inventories: dict[tuple[str, int], dict[str, HostTarget]] = {}

    def channel(self, target: HostTarget) -> SshChannel:
        """Return the channel for `target` (a changed inventory entry gets a new one)."""
        with self._lock:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="lbctl-ssh-"))  # mode 0700
            key = (target.name, target)
            if key not in self._channels:
                self._channels[key] = SshChannel(target, self._dir / f"c{len(self._channels)}")
            return self._channels[key]

    def agent(self, target: HostTarget) -> HostAgent:
        """Return the runtime agent on `target`, started on its first request."""
        from .agent import HostAgent  # agent.py builds on this module's SshChannel

        channel = self.channel(target)
        with self._lock:
            key = (target.name, target)
            if key not in self._agents:
                self._agents[key] = HostAgent(channel)
            return self._agents[key]

    def targets(self, inventory: Path, hosts: list[str]) -> dict[str, HostTarget]:
        """Return the hosts' targets, read once per inventory version (reading takes ~0.3 s)."""
        key = (str(Path(inventory).resolve()), Path(inventory).stat().st_mtime_ns)
        with self._lock:
            known = self._inventories.get(key)
        if known is None:
            known = read_targets(inventory)
            with self._lock:
                self._inventories = {key: known}
        missing = [h for h in hosts if h not in known]
        if missing:
            raise InventoryUnreadable(f"inventory {inventory} has no host {', '.join(missing)}")
        return {h: known[h] for h in hosts}

    def warm(self, targets: list[HostTarget]) -> None:
        """Start the agents now (in parallel), so the first change is as fast as the next."""
        with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
            list(pool.map(lambda t: _quietly(self.agent(t)), targets))

    def close(self) -> None:
        """End every agent and master, and remove the folder."""
        with self._lock:
            agents, self._agents = list(self._agents.values()), {}
            channels, self._channels = list(self._channels.values()), {}
            folder, self._dir = self._dir, None
        for agent in agents:
            agent.close()
        for channel in channels:
            channel.close()
        if folder is not None:
            deadline = time.monotonic() + 2
            while any(folder.iterdir()) and time.monotonic() < deadline:
                time.sleep(0.05)
            shutil.rmtree(folder, ignore_errors=True)


def _quietly(agent: HostAgent) -> None:
    with contextlib.suppress(SshFailed):  # the change itself reports the host
        agent.ping(CONNECT_TIMEOUT_S * 2)
