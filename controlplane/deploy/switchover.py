"""Planned switchover: move a VIP pair's VIPs to the peer host without a restart, and back.

Every VRRP instance tracks a switchover file (see render.switchover_weight). Writing 1 on a
host drains it: with preempt its priority drops to 1 and the peer preempts it (the old
master serves until the new one announces itself, so clients see little or no gap);
with nopreempt the instance goes to FAULT and releases the VIPs at once. Writing 0 undoes
it. keepalived watches the file: nothing is reloaded or restarted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..render import SWITCHOVER_FILE_PREFIX, VRRP_STATE_DIR
from .runner import run_playbook

Step = Callable[[str], None]
NOT_A_MEMBER = "no VRRP instance of pair"


class SwitchoverError(Exception):
    """The switchover cannot start or did not finish; `pair` and the reason."""

    def __init__(self, pair: str, message: str) -> None:
        super().__init__(f"{pair}: {message}")
        self.pair = pair
        self.message = message


@dataclass(frozen=True)
class InstanceState:
    instance: str
    state: str  # MASTER, BACKUP, FAULT, STOP, UNKNOWN
    since: int
    priority: int
    config_priority: int
    nopreempt: bool
    drained: bool
    vips: list[str]


@dataclass(frozen=True)
class PairHost:
    host: str
    instances: list[InstanceState]
    addresses: list[str]

    def holds(self, vips: list[str]) -> bool:
        held = {a.split("/")[0] for a in self.addresses}
        return all(v in held for v in vips)

    def holds_none(self, vips: list[str]) -> bool:
        held = {a.split("/")[0] for a in self.addresses}
        return not any(v in held for v in vips)

    def state(self, instance: str) -> str:
        return next((i.state for i in self.instances if i.instance == instance), "UNKNOWN")

    @property
    def drained(self) -> bool:
        return any(i.drained for i in self.instances)


@dataclass(frozen=True)
class PairState:
    """Both hosts of a pair as they answered: VRRP state, drain flags, addresses."""

    pair: str
    hosts: dict[str, PairHost]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def instances(self) -> list[InstanceState]:
        first = next(iter(self.hosts.values()))
        return first.instances

    @property
    def vips(self) -> list[str]:
        return [v for i in self.instances for v in i.vips]

    @property
    def nopreempt(self) -> bool:
        return any(i.nopreempt for i in self.instances)

    def master_of(self, instance: str) -> str | None:
        holders = [h for h, s in self.hosts.items() if s.state(instance) == "MASTER"]
        return holders[0] if len(holders) == 1 else None

    def master(self) -> str | None:
        """Return the host MASTER of the pair's first instance (the only one, active-passive)."""
        return self.master_of(self.instances[0].instance)

    def peer(self, host: str) -> str:
        return next(h for h in self.hosts if h != host)

    def preferred(self, instance: str) -> str:
        """Return the host whose configured priority for `instance` is higher."""
        return max(
            self.hosts,
            key=lambda h: next(
                i.config_priority for i in self.hosts[h].instances if i.instance == instance
            ),
        )

    def all_on(self, host: str) -> bool:
        """Return whether `host` is MASTER of every instance and holds every VIP, alone."""
        other = self.hosts[self.peer(host)]
        mine = self.hosts[host]
        return (
            all(mine.state(i.instance) == "MASTER" for i in self.instances)
            and all(other.state(i.instance) != "MASTER" for i in self.instances)
            and mine.holds(self.vips)
            and other.holds_none(self.vips)
        )

    def each_on_preferred(self) -> bool:
        """Return whether every instance is MASTER on its preferred host (with its VIPs)."""
        for inst in self.instances:
            host = self.preferred(inst.instance)
            other = self.hosts[self.peer(host)]
            if self.master_of(inst.instance) != host or not self.hosts[host].holds(inst.vips):
                return False
            if not other.holds_none(inst.vips):
                return False
        return True


@dataclass
class SwitchoverResult:
    pair: str
    action: str  # "switchover" or "back"
    source: str
    target: str
    seconds: float
    steps: list[str] = field(default_factory=list)
    state: PairState | None = None


def read_pair(inventory: Path, pair: str, values: dict[str, int] | None = None) -> PairState:
    """Return the pair's state on its hosts, after writing `values` (host -> 0|1) if given."""
    run = run_playbook(
        "switchover.yml",
        inventory,
        extravars={
            "pair": pair,
            "switchover_file_prefix": SWITCHOVER_FILE_PREFIX,
            "vrrp_state_dir": VRRP_STATE_DIR,
            "lbctl_switchover_values": values or {},
        },
        fact_keys=("lbctl_switchover",),
    )
    hosts = {}
    for host, facts in sorted(run.facts.items()):
        raw = facts["lbctl_switchover"]
        hosts[host] = PairHost(
            host,
            [InstanceState(**i) for i in raw.get("instances", [])],
            list(raw.get("addresses", [])),
        )
    errors = {
        e.host: e.message
        for e in run.events
        if e.kind in ("failed", "unreachable") and NOT_A_MEMBER not in e.message
    }
    if errors:
        raise SwitchoverError(pair, "; ".join(f"{h}: {m}" for h, m in sorted(errors.items())))
    if len(hosts) != 2:
        found = ", ".join(hosts) or "none"
        raise SwitchoverError(pair, f"expected the 2 hosts of the pair, found {found}")
    return PairState(pair, hosts)


def wait_until(
    inventory: Path, pair: str, done: Callable[[PairState], bool], timeout_s: float
) -> PairState:
    """Return the pair's state once `done` holds; SwitchoverError when `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = read_pair(inventory, pair)
        if done(state):
            return state
        if time.monotonic() >= deadline:
            raise SwitchoverError(pair, f"not done after {timeout_s:.0f} s: {describe(state)}")
        time.sleep(0.2)


def describe(state: PairState) -> str:
    """Return e.g. 'lb1 edge=BACKUP (drained), lb2 edge=MASTER holds 198.18.0.100'."""
    parts = []
    for host, h in state.hosts.items():
        states = " ".join(f"{i.instance}={i.state}" for i in h.instances)
        held = [v for v in state.vips if not h.holds_none([v])]
        parts.append(
            f"{host} {states}"
            + (" (drained)" if h.drained else "")
            + (f" holds {','.join(held)}" if held else "")
        )
    return ", ".join(parts)


def switch_over(
    inventory: Path,
    pair: str,
    source: str | None = None,
    timeout_s: float = 30.0,
    on_step: Step | None = None,
) -> SwitchoverResult:
    """Return once the pair's VIPs moved off `source` (default: its MASTER) to the peer."""
    step = on_step or (lambda _: None)
    state = read_pair(inventory, pair)
    source = source or state.master()
    if source is None or source not in state.hosts:
        raise SwitchoverError(pair, f"no single MASTER to move from: {describe(state)}")
    target = state.peer(source)
    _refuse_unready_target(state, target)
    started = time.monotonic()
    step(f"drain {source}: switchover file 1 for {pair}'s instances")
    read_pair(inventory, pair, {source: 1})
    step(f"wait for {target} to be MASTER of every instance and hold {', '.join(state.vips)}")
    final = wait_until(inventory, pair, lambda s: s.all_on(target), timeout_s)
    seconds = time.monotonic() - started
    step(f"{target} is MASTER after {seconds:.1f} s; {source} stays drained until --back")
    return SwitchoverResult(pair, "switchover", source, target, seconds, state=final)


def switch_back(
    inventory: Path, pair: str, timeout_s: float = 30.0, on_step: Step | None = None
) -> SwitchoverResult:
    """Return once the drained host of the pair is undrained and has its VIPs back.

    With preempt, undraining is enough: keepalived returns each instance to the host with
    the higher priority. With nopreempt a BACKUP never takes over from a healthy MASTER, so
    the peer is drained for a moment (its instances go to FAULT), then undrained.
    """
    step = on_step or (lambda _: None)
    state = read_pair(inventory, pair)
    drained = [h for h, s in state.hosts.items() if s.drained]
    if not drained:
        raise SwitchoverError(pair, f"no host of the pair is drained: {describe(state)}")
    target = drained[0]
    peer = state.peer(target)
    started = time.monotonic()
    step(f"undrain {target}: switchover file 0" + (f" (and {peer})" if len(drained) > 1 else ""))
    state = read_pair(inventory, pair, {h: 0 for h in drained})
    if state.nopreempt:
        step(f"nopreempt: drain {peer} so that {target} takes every instance")
        read_pair(inventory, pair, {peer: 1})
        final = wait_until(inventory, pair, lambda s: s.all_on(target), timeout_s)
        step(f"undrain {peer}: it stays BACKUP (nopreempt)")
        final = read_pair(inventory, pair, {peer: 0})
    else:
        step("preempt: wait until every instance is MASTER on its preferred host")
        final = wait_until(inventory, pair, PairState.each_on_preferred, timeout_s)
    seconds = time.monotonic() - started
    step(f"back after {seconds:.1f} s: {describe(final)}")
    return SwitchoverResult(pair, "back", peer, target, seconds, state=final)


def _refuse_unready_target(state: PairState, target: str) -> None:
    peer = state.hosts[target]
    ready = ("BACKUP", "MASTER")  # active-active: the peer is MASTER of its own instances
    unready = [i.instance for i in peer.instances if peer.state(i.instance) not in ready]
    if peer.drained or unready:
        raise SwitchoverError(
            state.pair,
            f"{target} cannot take the VIPs (it must run every instance, not drained): "
            + describe(state),
        )
