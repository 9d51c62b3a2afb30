"""HAProxy runtime API commands for a server, sent to the host's admin socket, and read back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .agent import HostAgent

RuntimeState = Literal["ready", "drain", "maint"]

# The model's server state -> the runtime API's (`set server B/S state ...`).
RUNTIME_STATE: dict[str, RuntimeState] = {"enabled": "ready", "drain": "drain", "maint": "maint"}

# srv_admin_state bits of `show servers state` (HAProxy's SRV_ADMF_*).
_MAINT_BITS = 0x01 | 0x02 | 0x20 | 0x40  # forced, inherited, resolution, health-check maint
_DRAIN_BITS = 0x08 | 0x10  # forced, inherited drain

# Interactive ("prompt") mode: HAProxy prints "> " before reading each command, so one
# connection carries every command and each answer stays separate.
_PROMPT = re.compile(r"^> ", re.MULTILINE)


class RuntimeAnswerError(Exception):
    """HAProxy refused a runtime command or its socket could not be reached."""


@dataclass(frozen=True)
class ServerChange:
    """One server's wanted runtime state: what its rendered line says."""

    backend: str
    server: str
    state: RuntimeState
    weight: int

    def commands(self) -> list[str]:
        """Return the runtime API commands that bring the server to this state."""
        name = f"{self.backend}/{self.server}"
        return [f"set server {name} state {self.state}", f"set server {name} weight {self.weight}"]


@dataclass(frozen=True)
class ServerRuntimeState:
    """A server's state as `show servers state` reports it."""

    backend: str
    server: str
    state: RuntimeState
    weight: int

    def matches(self, wanted: ServerChange) -> bool:
        return self.state == wanted.state and self.weight == wanted.weight


def model_change(pool: str, server: str, state: str, weight: int) -> ServerChange:
    """Return the runtime change for a model server: drain renders weight 0, so it sets 0."""
    return ServerChange(pool, server, RUNTIME_STATE[state], 0 if state == "drain" else weight)


def send(agent: HostAgent, socket_path: str, commands: list[str], timeout_s: float) -> list[str]:
    """Return HAProxy's answer to each command, in order; raises RuntimeAnswerError.

    The host's agent sends them over one connection to the admin socket; commands are
    data, never part of a command line.
    """
    if any("\n" in c or ";" in c for c in commands):
        raise RuntimeAnswerError("a runtime command must be one command on one line")
    script = "prompt\n" + "".join(f"{c}\n" for c in commands) + "quit\n"
    out = agent.ask(socket_path, script, timeout_s)
    parts = _PROMPT.split(out)
    if len(parts) < len(commands) + 1:
        raise RuntimeAnswerError(
            f"the runtime API at {socket_path} answered {len(parts) - 1} of "
            f"{len(commands)} commands: {out.strip()[:200]!r}"
        )
    return parts[1 : len(commands) + 1]


def check_applied(commands: list[str], answers: list[str]) -> None:
    """Raise RuntimeAnswerError naming the first command HAProxy answered with text."""
    for command, answer in zip(commands, answers, strict=False):
        if answer.strip():  # success is an empty answer
            raise RuntimeAnswerError(f"`{command}`: {answer.strip()}")


def worker_pid(show_info: str) -> str:
    """Return the `Pid:` of a `show info` answer ('' when absent)."""
    for line in show_info.splitlines():
        if line.startswith("Pid:"):
            return line.split(":", 1)[1].strip()
    return ""


def runtime_state(servers_state: str) -> dict[str, ServerRuntimeState]:
    """Return 'backend/server' -> state for every line of a `show servers state` answer."""
    found = {}
    for line in servers_state.splitlines():
        fields = line.split()
        # be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight ...
        if line.startswith("#") or len(fields) < 9 or not fields[6].isdigit():
            continue
        admin = int(fields[6])
        state: RuntimeState = (
            "maint" if admin & _MAINT_BITS else "drain" if admin & _DRAIN_BITS else "ready"
        )
        found[f"{fields[1]}/{fields[3]}"] = ServerRuntimeState(
            fields[1], fields[3], state, int(fields[7])
        )
    return found
