"""Ansible events as plain values: what happened on which host, streamed as it happens."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from ..check import messages_of_haproxy, messages_of_keepalived
from ..render import HAPROXY_FILE, KEEPALIVED_FILE

EventKind = Literal["task", "ok", "changed", "failed", "unreachable", "skipped", "info"]
_KINDS = {
    # A host's task starting: when each host's step began (a "task" event, no result).
    "runner_on_start": "task",
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
}
# What deploy.yml's host step (lbctl_deploy_host) returns for the control plane: data, not
# text. Read from the result, or from facts of that name (as a playbook's set_fact gives them).
VERDICT_FACT = "lbctl_verdict"  # {haproxy: reason, keepalived: reason}, "" for no change
ROLLBACK_FACT = "lbctl_rollback"  # {after: what failed}, set once the old files run again
VERDICT_CHANGES = "will change: "
VERDICT_NONE = "already up to date: nothing to do"


@dataclass(frozen=True)
class Verdict:
    """Why each daemon needs an install + reload, as the stage step found; "" when not.

    A reason is "differs", "reload pending" (a deploy was cut short between install and
    reload) or "not running".
    """

    haproxy: str = ""
    keepalived: str = ""

    @property
    def changes(self) -> bool:
        return bool(self.haproxy or self.keepalived)

    @property
    def message(self) -> str:
        """Return the verdict in the operator's words, as progress lines show it."""
        files = [
            name + _why(why)
            for name, why in (("haproxy.cfg", self.haproxy), ("keepalived.conf", self.keepalived))
            if why
        ]
        return VERDICT_CHANGES + ", ".join(files) if files else VERDICT_NONE


def _why(why: str) -> str:
    """Return why an identical file is installed again (a plain difference says nothing)."""
    return "" if why == "differs" else f" ({why})"  # "reload pending", "not running"


@dataclass(frozen=True)
class DeployEvent:
    host: str
    kind: EventKind
    task: str
    message: str = ""
    at: float = field(default_factory=time.time)
    ignored: bool = False
    step: str = ""  # the exact sub-step an lbctl module reports as failed
    # What deploy.yml states as facts (not text): the stage step's verdict ...
    verdict: Verdict | None = None
    # ... and that the host's rollback finished: it runs its previous files again.
    rolled_back: bool = False
    # How long the task took on the host, and the phases an lbctl module timed in it.
    seconds: float = 0.0
    phases: tuple[tuple[str, float], ...] = ()


def from_runner_event(raw: dict[str, Any]) -> DeployEvent | None:
    """Return the event a raw ansible-runner event stands for, or None for noise."""
    name = raw.get("event", "")
    data = raw.get("event_data") or {}
    kind = _KINDS.get(name)
    if kind is None:
        return None
    res = data.get("res") or {}
    if kind == "ok" and res.get("changed"):
        kind = "changed"
    facts = res.get("ansible_facts") or {}
    verdict = _verdict(res.get(VERDICT_FACT) or facts.get(VERDICT_FACT))
    return DeployEvent(
        host=data.get("host", ""),
        kind=kind,  # type: ignore[arg-type]
        task=data.get("task", ""),
        message=(
            _message(res, data.get("task", ""), data.get("host", ""))
            if kind in ("failed", "unreachable")
            else (verdict.message if verdict else "")
        ),
        ignored=bool(data.get("ignore_errors")),
        step=str(res.get("lbctl_step") or ""),
        verdict=verdict,
        rolled_back=ROLLBACK_FACT in res or ROLLBACK_FACT in facts,
        seconds=_float(data.get("duration")),
        phases=_phases(res.get("lbctl_phases")),
    )


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _phases(value: object) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple((str(name), _float(seconds)) for name, seconds in value.items())


# Where a deploy's time goes on a host, in the order it is spent: the phase of each task.
PHASES = (
    "probe",
    "stage",
    "check",
    "install",
    "reload",
    "runtime",
    "verify",
    "keepalived",
    "rollback",
    "clean up",
)
_TASK_PHASES = (
    ("probe", "probe"),
    ("lbctl probe", "probe"),
    ("stage", "stage"),
    ("compare", "stage"),
    ("validate", "check"),
    ("install + reload: keepalived", "keepalived"),
    ("install", "reload"),  # a module that timed its own phases says which
    ("rollback", "rollback"),
    ("clean up", "clean up"),
)


@dataclass(frozen=True)
class PhaseSeconds:
    """Seconds per phase on one host (phases in `PHASES` order, others after)."""

    seconds: dict[str, float]

    @property
    def total(self) -> float:
        return sum(s for name, s in self.seconds.items() if name != "probe")

    @property
    def message(self) -> str:
        parts = [f"{name} {s:.2f} s" for name, s in self.seconds.items()]
        return "seconds per phase: " + ", ".join(parts) + f" (deploy {self.total:.2f} s)"


def phase_seconds(events: list[DeployEvent]) -> PhaseSeconds:
    """Return where the time of the given events (one host's) went, per phase."""
    found: dict[str, float] = {}
    for event in events:
        if event.kind == "skipped":
            # Nothing ran; ansible-runner dates a skipped meta task (the stop check) from
            # the host's previous task start, so its duration is not this task's.
            continue
        if event.phases:
            for name, seconds in event.phases:
                found[name] = found.get(name, 0.0) + seconds
            # What the module did not time itself (its start, the round trip) is overhead.
            rest = event.seconds - sum(s for _, s in event.phases)
            found["overhead"] = found.get("overhead", 0.0) + max(rest, 0.0)
            continue
        if not event.seconds:
            continue
        phase = next((p for prefix, p in _TASK_PHASES if event.task.startswith(prefix)), "other")
        found[phase] = found.get(phase, 0.0) + event.seconds
    order = [p for p in PHASES if p in found] + [p for p in found if p not in PHASES]
    return PhaseSeconds({p: round(found[p], 3) for p in order})


def timing_event(host: str, events: list[DeployEvent]) -> DeployEvent:
    """Return the event that says where `host`'s deploy spent its time (probe included).

    It is dated with the host's last step: one run deploys every host, and a host's
    span (its first step to its last event) must not reach into another host's.
    """
    mine = [e for e in events if e.host == host]
    timing = phase_seconds(mine)
    return DeployEvent(
        host,
        "info",
        "timing",
        timing.message,
        at=max((e.at for e in mine), default=time.time()),
        phases=tuple(timing.seconds.items()),
    )


def run_timing_event(
    began: float, decided: tuple[float, float], events: list[DeployEvent], ended: float
) -> DeployEvent:
    """Return the event that says where the deploy's one Ansible run spent its time.

    `ansible start`: until the first host's probe began; `probe`: until the control plane
    began to decide; `decide`: the order and the jobs; `hosts`: until the last host's
    result; `ansible end`: until the run returned. Host "" (every host).
    """
    starts = [e.at for e in events if e.kind == "task"]
    first = min(starts, default=decided[0])
    last = max((e.at for e in events if e.kind != "info"), default=decided[1])
    marks = [began, first, decided[0], decided[1], max(last, decided[1]), ended]
    names = ("ansible start", "probe", "decide", "hosts", "ansible end")
    spans = zip(names, marks[:-1], marks[1:], strict=True)
    seconds = {name: round(max(end - start, 0.0), 3) for name, start, end in spans}
    parts = ", ".join(f"{name} {s:.2f} s" for name, s in seconds.items())
    return DeployEvent(
        "",
        "info",
        "timing",
        f"seconds of the deploy run: {parts} (total {ended - began:.2f} s)",
        at=ended,
        phases=tuple(seconds.items()),
    )


def _verdict(fact: object) -> Verdict | None:
    if not isinstance(fact, dict):
        return None
    return Verdict(str(fact.get("haproxy") or ""), str(fact.get("keepalived") or ""))


def _message(res: dict[str, Any], task: str, host: str) -> str:
    if res.get("censored"):
        return "(output hidden: it may hold secrets)"
    step = str(res.get("lbctl_step") or task)
    if step.startswith(HOST_CHECKS):
        # The host's own haproxy -c / keepalived -t: only place and reason go back, as
        # from the local check, so a viewer following the deploy sees nothing else.
        output = f"{res.get('stdout') or ''}\n{res.get('stderr') or ''}"
        if step.startswith(HOST_CHECKS[0]):
            lines = [
                line
                for _, line in messages_of_haproxy(output, HAPROXY_FILE, f"{host}/{HAPROXY_FILE}")
            ]
        else:
            lines = messages_of_keepalived(output, KEEPALIVED_FILE, f"{host}/{KEEPALIVED_FILE}")
        return "; ".join(lines) or f"{step}: failed without a message"
    parts = [str(res.get("msg") or "").strip(), str(res.get("stderr") or "").strip()]
    if not any(parts):
        parts.append(str(res.get("stdout") or "").strip())
    return " ".join(p for p in parts if p)[:2000]


# The steps of the host-side checks (lbctl_stage's lbctl_step; once deploy.yml's task names)
HOST_CHECKS = ("validate: haproxy -c", "validate: keepalived -t")
