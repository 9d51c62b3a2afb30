"""The lab's state file: every namespace, link and process, written down before it matters.

Namespaces and links are recorded *before* they are created and processes right after they
start, so ``down()`` after a crash (or a second ``up()``) finds everything to remove.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .process import ProcessRef

STATE_FILE = "state.json"
LOCK_FILE = ".lock"


@dataclass
class LabState:
    """What one lab consists of; ``ready`` turns true once ``up()`` finished."""

    lb_hosts: int
    backends: int
    namespaces: list[str] = field(default_factory=list)
    root_links: list[str] = field(default_factory=list)
    processes: dict[str, ProcessRef] = field(default_factory=dict)
    ready: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "lb_hosts": self.lb_hosts,
            "backends": self.backends,
            "namespaces": self.namespaces,
            "root_links": self.root_links,
            "processes": {role: ref.to_json() for role, ref in self.processes.items()},
            "ready": self.ready,
        }

    @classmethod
    def from_json(cls, data: dict) -> LabState:
        return cls(
            lb_hosts=int(data["lb_hosts"]),
            backends=int(data["backends"]),
            namespaces=list(data.get("namespaces", [])),
            root_links=list(data.get("root_links", [])),
            processes={
                role: ProcessRef.from_json(ref) for role, ref in data.get("processes", {}).items()
            },
            ready=bool(data.get("ready", False)),
        )


class StateFile:
    """The state of the lab in ``directory``, saved to disk on every change."""

    def __init__(self, directory: Path, state: LabState) -> None:
        self.path = directory / STATE_FILE
        self.state = state

    @classmethod
    def load(cls, directory: Path) -> StateFile | None:
        """Return the recorded state in ``directory``, or None when there is none."""
        try:
            data = json.loads((directory / STATE_FILE).read_text())
        except FileNotFoundError:
            return None
        return cls(directory, LabState.from_json(data))

    def save(self) -> None:
        # Write-then-rename: a crash mid-write must never lose what was already recorded.
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state.to_json(), indent=2) + "\n")
        os.replace(tmp, self.path)

    def record_namespace(self, name: str) -> None:
        if name not in self.state.namespaces:
            self.state.namespaces.append(name)
            self.save()

    def record_root_link(self, name: str) -> None:
        if name not in self.state.root_links:
            self.state.root_links.append(name)
            self.save()

    def record_process(self, ref: ProcessRef) -> None:
        self.state.processes[ref.role] = ref
        self.save()

    def forget_process(self, role: str) -> None:
        if self.state.processes.pop(role, None) is not None:
            self.save()

    def mark_ready(self) -> None:
        self.state.ready = True
        self.save()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the lab directory's lock: one up/down/change at a time per lab."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
