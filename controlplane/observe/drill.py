"""Failover drill: move a pair's VIPs off its MASTER while a client probes them, then back.

The move is the planned switchover (a switchover file, not a link cut): it is controlled
and reversible from the control plane, needs no access to the host's network, and cannot
leave the host unreachable if something goes wrong; the client-visible outage it measures
is that of VRRP moving the VIPs between two healthy hosts. (A host failure — link down —
is measured in the lab by tests/lab/test_failover.py.)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..deploy.switchover import (
    Step,
    SwitchoverError,
    read_pair,
    switch_back,
    switch_over,
)
from .vip_probe import ProbeStarter


@dataclass
class DrillReport:
    pair: str
    original_master: str = ""
    new_master: str = ""
    moved: bool = False
    restored: bool = False
    seconds_to_new_master: float | None = None
    seconds_to_restore: float | None = None
    probe: dict[str, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.moved and self.restored and not self.error

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def failover_drill(
    inventory: Path,
    pair: str,
    probe: ProbeStarter,
    lead_in_s: float = 1.0,
    hold_s: float = 2.0,
    timeout_s: float = 30.0,
    on_step: Step | None = None,
) -> DrillReport:
    """Return the drill's figures: outage seen by the probe, time to new MASTER and back."""
    report = DrillReport(pair)

    def step(message: str) -> None:
        report.steps.append(message)
        if on_step:
            on_step(message)

    try:
        report.original_master = read_pair(inventory, pair).master() or ""
    except SwitchoverError as exc:
        report.error = exc.message
        return report
    if not report.original_master:
        report.error = "no single MASTER: nothing to drill"
        return report
    bound = lead_in_s + hold_s + 2 * timeout_s + 30
    step(f"probe {pair}'s VIP (at most {bound:.0f} s)")
    run = probe.start(bound)
    try:
        time.sleep(lead_in_s)
        moved = switch_over(inventory, pair, report.original_master, timeout_s, step)
        report.moved, report.new_master = True, moved.target
        report.seconds_to_new_master = round(moved.seconds, 2)
        time.sleep(hold_s)
    except SwitchoverError as exc:
        report.error = exc.message
    finally:
        _restore(inventory, pair, report, timeout_s, step)
        time.sleep(min(lead_in_s, 1.0))
        report.probe = run.stop()
    return report


def _restore(inventory: Path, pair: str, report: DrillReport, timeout_s: float, step: Step) -> None:
    try:
        back = switch_back(inventory, pair, timeout_s, step)
        report.seconds_to_restore = round(back.seconds, 2)
        report.restored = back.state is not None and back.state.master() == report.original_master
    except SwitchoverError as exc:
        report.error = report.error or f"restore: {exc.message}"
        try:  # a move that never started leaves the original master in place
            report.restored = read_pair(inventory, pair).master() == report.original_master
        except SwitchoverError:
            report.restored = False
