"""An executor that touches no host: it records what a deploy asks and answers as told.

The deploy's logic (BACKUP first, lanes side by side, stop at the first failure, what a
rollback restores) runs on it without root, SSH or Ansible, the way a load balancer
service's flows run on a no-op driver.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from .events import DeployEvent, EventKind
from .executor import EventSink, HostDeploy, HostResult, HostStatus, run_lanes
from .sequence import HostProbe

# What a host's deploy answers: a status, or a function of the job (it may wait or sleep).
Answer = HostStatus | Callable[[HostDeploy], HostResult]


@dataclass(frozen=True)
class RecordedDeploy:
    job: HostDeploy
    started: float  # time.monotonic()
    finished: float
    result: HostResult


@dataclass
class RecordingExecutor:
    """Answers the probe from `probes` and each host's deploy from `answers`; records both.

    A host missing from `probes` is reachable and runs nothing yet; a host missing from
    `answers` deploys as "changed".
    """

    probes: Mapping[str, HostProbe] = field(default_factory=dict)
    answers: Mapping[str, Answer] = field(default_factory=dict)
    probed: list[list[str]] = field(default_factory=list)  # the hosts of each probe
    deploys: list[RecordedDeploy] = field(default_factory=list)  # in the order they ended
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def probe(self, hosts: list[str], on_event: EventSink) -> dict[str, HostProbe]:
        self.probed.append(list(hosts))
        return {h: self.probes.get(h) or HostProbe(h, True, {}, []) for h in hosts}

    def session(self) -> AbstractContextManager[object]:
        return nullcontext()

    def probe_and_deploy(
        self,
        hosts: list[str],
        plan: Callable[[dict[str, HostProbe]], list[list[HostDeploy]]],
        on_event: EventSink,
        cancel: Callable[[], bool],
    ) -> tuple[dict[str, HostProbe], dict[str, HostResult]]:
        probes = self.probe(hosts, on_event)
        return probes, run_lanes(plan(probes), lambda job: self.deploy(job, on_event))

    def deploy(self, job: HostDeploy, on_event: EventSink) -> HostResult:
        """Answer one host's deploy as told, and record it."""
        started = time.monotonic()
        answer = self.answers.get(job.host, "changed")
        result = answer(job) if callable(answer) else HostResult(job.host, answer)
        on_event(DeployEvent(job.host, _KIND[result.status], "deploy (recorded)", result.error))
        with self._lock:  # lanes deploy from their own threads
            self.deploys.append(RecordedDeploy(job, started, time.monotonic(), result))
        return result

    @property
    def deployed(self) -> list[str]:
        """Return the hosts deployed, in the order they ended."""
        return [d.job.host for d in self.deploys]

    def job(self, host: str) -> HostDeploy:
        """Return what the deploy asked of `host` (KeyError when it was not deployed)."""
        for done in self.deploys:
            if done.job.host == host:
                return done.job
        raise KeyError(host)


_KIND: dict[HostStatus, EventKind] = {
    "unchanged": "ok",
    "changed": "changed",
    "failed": "failed",
    "rolled back": "failed",
    "unreachable": "unreachable",
    "not run": "skipped",
}
