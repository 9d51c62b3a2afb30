"""Apply server changes through the runtime API on every host of a pair at once, verified."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .haproxy import (
    RuntimeAnswerError,
    ServerChange,
    check_applied,
    runtime_state,
    send,
    worker_pid,
)
from .pool import ChannelPool
from .ssh import SshFailed
from .targets import HostTarget

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class HostRuntimeResult:
    """What one host did with the change: applied and verified, or why not."""

    host: str
    ok: bool
    seconds: float
    error: str = ""
    worker_pid: str = ""  # the worker that applied it (unchanged: no reload happened)

    def as_dict(self) -> dict[str, object]:
        return {
            "host": self.host,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "worker_pid": self.worker_pid,
        }


@dataclass
class RuntimeResult:
    hosts: list[HostRuntimeResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.hosts) and all(h.ok for h in self.hosts)


def server_commands(changes: list[ServerChange]) -> list[str]:
    """Return the runtime API commands for the changes, in order."""
    return [command for change in changes for command in change.commands()]


def apply_commands(
    channels: ChannelPool,
    targets: list[HostTarget],
    changes: list[ServerChange],
    configs: dict[str, str] | None = None,
) -> RuntimeResult:
    """Return per-host results of applying `changes` on every target in parallel.

    Each host gets one SSH round trip: the commands, then `show info` (the worker pid) and
    `show servers state` of each touched backend, which must report the wanted state.
    With `configs` (host -> haproxy.cfg text), a host that applied the change then gets
    that file installed atomically, without a reload: the file on disk says what runs, so
    a later deploy or reload can neither miss the change nor undo it.
    """
    if not targets:
        return RuntimeResult()
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        results = pool.map(lambda t: _apply_on(channels, t, changes, configs or {}), targets)
        return RuntimeResult(list(results))


def _apply_on(
    channels: ChannelPool,
    target: HostTarget,
    changes: list[ServerChange],
    configs: dict[str, str],
) -> HostRuntimeResult:
    started = time.monotonic()
    commands = server_commands(changes)
    backends = sorted({c.backend for c in changes})
    reads = ["show info"] + [f"show servers state {b}" for b in backends]
    try:
        agent = channels.agent(target)
        answers = send(agent, target.haproxy_socket, commands + reads, TIMEOUT_S)
        check_applied(commands, answers)
        info, states = answers[len(commands)], "\n".join(answers[len(commands) + 1 :])
        _verify(runtime_state(states), changes)
    except (SshFailed, RuntimeAnswerError) as exc:
        message = exc.message if isinstance(exc, SshFailed) else str(exc)
        return HostRuntimeResult(target.name, False, time.monotonic() - started, message)
    seconds = time.monotonic() - started  # the change is in effect from here
    if target.name in configs:
        try:
            agent.install(target.haproxy_config_path, configs[target.name], TIMEOUT_S)
        except SshFailed as exc:
            error = f"applied, but {target.haproxy_config_path} was not updated: {exc.message}"
            return HostRuntimeResult(target.name, False, seconds, error, worker_pid(info))
    return HostRuntimeResult(target.name, True, seconds, "", worker_pid(info))


def _verify(found: dict, changes: list[ServerChange]) -> None:
    for change in changes:
        name = f"{change.backend}/{change.server}"
        state = found.get(name)
        if state is None:
            raise RuntimeAnswerError(f"the running HAProxy has no server {name}")
        if not state.matches(change):
            raise RuntimeAnswerError(
                f"{name} reports {state.state} weight {state.weight} after the change, "
                f"wanted {change.state} weight {change.weight}"
            )
