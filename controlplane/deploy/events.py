"""Ansible events as plain values: what happened on which host, streamed as it happens."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from ..check import messages_of_haproxy, messages_of_keepalived
from ..render import HAPROXY_FILE, KEEPALIVED_FILE

EventKind = Literal["task", "ok", "changed", "failed", "unreachable", "skipped", "info"]
_KINDS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
}
# The facts deploy.yml sets for the control plane (set_fact: they reach it as data).
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
    verdict = _verdict(facts.get(VERDICT_FACT))
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
        rolled_back=ROLLBACK_FACT in facts,
    )


def _verdict(fact: object) -> Verdict | None:
    if not isinstance(fact, dict):
        return None
    return Verdict(str(fact.get("haproxy") or ""), str(fact.get("keepalived") or ""))


def _message(res: dict[str, Any], task: str, host: str) -> str:
    if res.get("censored"):
        return "(output hidden: it may hold secrets)"
    if task.startswith(HOST_CHECKS):
        # The host's own haproxy -c / keepalived -t: only place and reason go back, as
        # from the local check, so a viewer following the deploy sees nothing else.
        output = f"{res.get('stdout') or ''}\n{res.get('stderr') or ''}"
        if task.startswith(HOST_CHECKS[0]):
            lines = [
                line
                for _, line in messages_of_haproxy(output, HAPROXY_FILE, f"{host}/{HAPROXY_FILE}")
            ]
        else:
            lines = messages_of_keepalived(output, KEEPALIVED_FILE, f"{host}/{KEEPALIVED_FILE}")
        return "; ".join(lines) or f"{task}: failed without a message"
    parts = [str(res.get("msg") or "").strip(), str(res.get("stderr") or "").strip()]
    if not any(parts):
        parts.append(str(res.get("stdout") or "").strip())
    return " ".join(p for p in parts if p)[:2000]


# deploy.yml's task names for the host-side checks
HOST_CHECKS = ("validate: haproxy -c", "validate: keepalived -t")
