"""The SSH channels and runtime agents of one process, by host.

A channel (ssh.py) is one ControlMaster connection; an agent (agent.py) is lbctl's small
program kept running on the host over it. The pool owns both, so neither module needs
the other's.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .agent import HostAgent
from .ssh import CONNECT_TIMEOUT_S, SshChannel, SshFailed
from .targets import HostTarget, InventoryUnreadable, read_targets


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
        channel = self.channel(target)
        with self._lock:
            key = (target.name, target)
            if key not in self._agents:
                self._agents[key] = HostAgent(channel)
            return self._agents[key]

    def targets(self, inventory: Path, hosts: list[str]) -> dict[str, HostTarget]:
        """Return the hosts' targets, read once per inventory version (reading takes ~0.3 s)."""
        try:
            key = (str(Path(inventory).resolve()), Path(inventory).stat().st_mtime_ns)
        except OSError:  # a missing inventory is the hosts' failure, reported per host
            raise InventoryUnreadable(f"inventory {inventory} does not exist") from None
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
