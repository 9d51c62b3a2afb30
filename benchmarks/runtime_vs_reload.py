"""Benchmark 4: request-to-effect latency of a drain on both hosts, runtime API vs deploy.

    .venv/bin/python benchmarks/runtime_vs_reload.py [--trials 10] [--load 0]
        [--paths server-change,runtime-api,deploy,deploy-reload]

Root only. Holds the namespace lab (waits while another process holds it), brings it up and
deploys inventory/lab/lb.yaml. Each trial drains pool `app`'s server `app2` (weight 50) one
way, measures, then undoes it (not timed). The ways ("paths"):

- `server-change`: lbctl's server change (`server_changes.set_server`, what the API, UI
  and `lbctl server set` call): saves a revision in a throwaway store, sends the runtime API
  commands to both hosts in parallel over persistent SSH (opened beforehand) and reads the
  state back, then updates the hosts' files without a reload;
- `runtime-api`: the runtime package alone (`runtime.apply_commands`), no store, no files;
- `deploy`: `deploy_environment` of the model with app2 drained; the change plan finds a
  runtime-only change, so Ansible sends the same runtime commands (no reload);
- `deploy-reload`: the same drain plus a health-check interval change, so the deploy
  reloads HAProxy on both hosts (each reload proven by a new worker pid).

"Effect" is the moment both hosts' runtime API report app2 at weight 0 (DRAIN): a small
watcher inside each host polls its admin socket from before the request (every 5 ms for
the runtime paths, 20 ms for deploys); for the runtime paths, which read the state back
themselves, the call's return counts when it comes first. `--load N` runs N keep-alive
connections through the VIP during every timed change (its failures are counted too).
Target: the runtime path under 300 ms (judged on p90). Prints a markdown table; not part
of the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab_bench import (
    DEFAULT_LAB_WAIT_S,
    ENVIRONMENT,
    HOSTS,
    LAB_MODEL,
    VIP_URL,
    deploy,
    held_lab,
    lab_model,
    median,
    print_table,
    progress,
    quantile,
    server_state,
    wait_for,
    worker_pid,
)

from controlplane import store
from controlplane.lab import Lab
from controlplane.lab.lbhost import nsenter_argv
from controlplane.runtime import ChannelPool, apply_commands, model_change
from controlplane.usecases import revisions
from controlplane.usecases import server_state as server_changes

POOL, SERVER, WEIGHT = "app", "app2", 50  # as inventory/lab/lb.yaml has it
TARGET_MS = 300.0
EFFECT_TIMEOUT_S = 60.0
ADMIN_SOCKET = "/run/haproxy/admin.sock"  # the lab inventory's haproxy_socket (the default)
ACTOR = store.Actor("benchmark", "operator", via="cli")
SEED = ACTOR
PATHS = ("server-change", "runtime-api", "deploy", "deploy-reload")


def drained(data: dict) -> None:
    data["pools"][0]["servers"][1]["state"] = "drain"


def slower_checks(data: dict) -> None:  # needs a reload: the drain alone would not
    data["health_checks"][0]["interval"] = "3s"


@dataclass
class ChangePath:
    """One way to drain app2: the timed request, its undo, and how to watch it."""

    name: str
    apply: Callable[[], object]
    undo: Callable[[], object]
    poll_interval: float
    reads_back: bool  # the call returns only once both hosts report the new state
    guess_s: float  # how long a change may take, before the first one is timed
    effects_ms: list[float] = field(default_factory=list)
    returns_ms: list[float] = field(default_factory=list)
    reloads: int = 0
    load_requests: int = 0
    load_failed: int = 0


# Runs inside an LB host (its mount namespace, so /run/haproxy is the host's): polls the admin
# socket without forking a process per poll, so the watching barely loads the machine. Prints
# "ready" once the server reads a non-zero weight, then the CLOCK_MONOTONIC time (one clock
# for every process here) at which it first reads weight 0. Bounded by its own deadline.
WATCH_SCRIPT = r"""
import socket, sys, time
path, backend, server = sys.argv[1:4]
interval, deadline = float(sys.argv[4]), time.monotonic() + float(sys.argv[5])

def weight():
    conn = socket.socket(socket.AF_UNIX)
    conn.settimeout(1.0)
    try:
        conn.connect(path)
        conn.sendall(f"show servers state {backend}\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    except OSError:
        return None  # e.g. a reload moving the socket: try again
    finally:
        conn.close()
    for line in answer.decode(errors="replace").splitlines():
        fields = line.split()
        if not line.startswith("#") and len(fields) > 7 and fields[3] == server:
            return int(fields[7])
    return None

while weight() in (None, 0):
    if time.monotonic() > deadline:
        sys.exit(2)
    time.sleep(interval)
print("ready", flush=True)
while time.monotonic() < deadline:
    if weight() == 0:
        print(time.monotonic(), flush=True)
        sys.exit(0)
    time.sleep(interval)
sys.exit(1)
"""


def runtime_path(name: str, apply: Callable[[], None], undo: Callable[[], None]) -> ChangePath:
    """A path through the runtime API: fast, and it reads the state back before returning."""
    return ChangePath(name, apply, undo, poll_interval=0.005, reads_back=True, guess_s=1.0)


def deploy_path(name: str, apply: Callable[[], object], undo: Callable[[], object]) -> ChangePath:
    """A path through a deploy: Ansible, seconds; its effect is only seen by watching."""
    return ChangePath(name, apply, undo, poll_interval=0.02, reads_back=False, guess_s=30.0)


class EffectWatch:
    """A watcher inside each LB host; `seconds()` is when both had app2 at weight 0."""

    def __init__(self, lab: Lab, interval: float) -> None:
        args = [ADMIN_SOCKET, POOL, SERVER, str(interval), str(EFFECT_TIMEOUT_S)]
        self._watchers = [
            subprocess.Popen(
                nsenter_argv(lab.host(h).sshd_pid, [sys.executable, "-c", WATCH_SCRIPT, *args]),
                stdout=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            for h in HOSTS
        ]
        for watcher in self._watchers:
            assert watcher.stdout is not None
            if watcher.stdout.readline().strip() != "ready":
                self.close()
                raise SystemExit(f"{POOL}/{SERVER} never read a non-zero weight on a host")
        self.started = time.monotonic()

    def begin(self) -> None:
        """Mark the request: times are measured from here."""
        self.started = time.monotonic()

    def seconds(self) -> float | None:
        """Return when the later host showed weight 0, or None if one never did (bounded)."""
        seen = []
        for watcher in self._watchers:
            assert watcher.stdout is not None
            line = watcher.stdout.readline().strip()  # the watcher ends by its deadline
            if not line:
                return None
            seen.append(float(line) - self.started)
        return max(seen)

    def close(self) -> None:
        """Stop the watchers that still run (our children, by pid) and reap them."""
        for watcher in self._watchers:
            if watcher.poll() is None:
                watcher.kill()
            watcher.communicate()


def enabled_everywhere(lab: Lab) -> bool:
    found = [server_state(lab, h, POOL, SERVER) for h in HOSTS]
    return all(s is not None and (s.state, s.weight) == ("ready", WEIGHT) for s in found)


class Bench:
    """The lab, a throwaway store holding the lab model, and open SSH channels."""

    def __init__(self, lab: Lab, folder: Path, load_connections: int) -> None:
        self.lab = lab
        self.load_connections = load_connections
        engine = store.make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
        store.upgrade(engine)
        self.sessions = store.session_factory(engine)
        with self.sessions.begin() as session:
            revisions.import_yaml(session, ENVIRONMENT, LAB_MODEL.read_text(), SEED, "seed", None)
        self.channels = ChannelPool()
        self.targets = list(self.channels.targets(lab.inventory_path, list(HOSTS)).values())
        self.channels.warm(self.targets)
        self.base = lab_model()
        self.drained = lab_model(drained)
        self.drained_reload = lab_model(drained, slower_checks)

    def close(self) -> None:
        self.channels.close()

    def set_server(self, state: str) -> None:
        with self.sessions.begin() as session:
            result = server_changes.set_server(
                session, ENVIRONMENT, self.lab.inventory_path, POOL, SERVER, ACTOR,
                state=state, channels=self.channels,
            )  # fmt: skip
        if not result.applied:
            raise SystemExit(f"set_server {state}: {[h.as_dict() for h in result.hosts]}")

    def runtime_api(self, state: str) -> None:
        change = model_change(POOL, SERVER, state, WEIGHT)
        result = apply_commands(self.channels, self.targets, [change])
        if not result.ok:
            raise SystemExit(f"runtime API {state}: {[h.as_dict() for h in result.hosts]}")

    def paths(self, names: list[str]) -> list[ChangePath]:
        lab = self.lab
        every = [
            runtime_path(
                "server-change",
                apply=lambda: self.set_server("drain"),
                undo=lambda: self.set_server("enabled"),
            ),
            runtime_path(
                "runtime-api",
                apply=lambda: self.runtime_api("drain"),
                undo=lambda: self.runtime_api("enabled"),
            ),
            deploy_path(
                "deploy",
                apply=lambda: deploy(lab, self.drained),
                undo=lambda: deploy(lab, self.base),
            ),
            deploy_path(
                "deploy-reload",
                apply=lambda: deploy(lab, self.drained_reload),
                undo=lambda: deploy(lab, self.base),
            ),
        ]
        return [next(p for p in every if p.name == name) for name in names]

    def trial(self, path: ChangePath) -> None:
        """Time one drain along `path`, then undo it."""
        lab = self.lab
        expected_s = max(path.returns_ms, default=path.guess_s * 1000) / 1000
        if not wait_for(lambda: enabled_everywhere(lab), 15, 0.1):
            raise SystemExit(f"{POOL}/{SERVER} is not enabled at weight {WEIGHT} on both hosts")
        before = {h: worker_pid(lab, h) for h in HOSTS}
        load = None
        if self.load_connections:
            duration = 1.0 + 1.5 * expected_s + 2.0
            load = lab.start_load(VIP_URL, self.load_connections, duration, 2_000_000)
            time.sleep(1.0)
        watch = EffectWatch(lab, path.poll_interval)
        try:
            watch.begin()
            path.apply()
            returned = time.monotonic() - watch.started
            effect = watch.seconds()
        except BaseException:
            if load:
                load.stop()
            raise
        finally:
            watch.close()
        if effect is None:
            raise SystemExit(f"{path.name}: both hosts never reported {SERVER} at weight 0")
        if path.reads_back:
            effect = min(effect, returned)
        path.effects_ms.append(effect * 1000)
        path.returns_ms.append(returned * 1000)
        path.reloads += sum(worker_pid(lab, h) != before[h] for h in HOSTS)
        if load:
            report = load.result()
            path.load_requests += report["requests"]
            path.load_failed += report["failed"]
        path.undo()


def row(path: ChangePath, trials: int, with_load: bool) -> list[object]:
    effects = path.effects_ms
    p90 = quantile(effects, 0.9)
    runtime = path.reads_back  # the runtime API paths; the target is theirs
    verdict = ("pass" if p90 < TARGET_MS else "FAIL") if runtime else "-"
    cells: list[object] = [
        path.name,
        f"{path.reloads} of {2 * trials}",
        len(effects),
        f"{median(effects):.0f}",
        f"{p90:.0f}",
        f"{max(effects):.0f}",
        f"{median(path.returns_ms):.0f}",
        f"< {TARGET_MS:.0f} ms" if runtime else "-",
        verdict,
    ]
    if with_load:
        cells.append(f"{path.load_failed} of {path.load_requests}")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="drains per path")
    parser.add_argument(
        "--load", type=int, default=0, help="keep-alive connections during each change (0: idle)"
    )
    parser.add_argument("--paths", default=",".join(PATHS), help="comma-separated, in order")
    parser.add_argument("--lab-wait", type=float, default=DEFAULT_LAB_WAIT_S, help="seconds")
    args = parser.parse_args()
    names = [n.strip() for n in args.paths.split(",") if n.strip()]
    unknown = sorted(set(names) - set(PATHS))
    if unknown or not names:
        parser.error(f"--paths: unknown {unknown}; choose from {', '.join(PATHS)}")
    if not 1 <= args.trials <= 100 or not 0 <= args.load <= 256:
        parser.error("--trials must be 1..100 and --load 0..256")
    with held_lab(args.lab_wait) as lab, tempfile.TemporaryDirectory() as folder:
        progress("first deploy of the lab model")
        deploy(lab, lab_model())
        bench = Bench(lab, Path(folder), args.load)
        try:
            paths = bench.paths(names)
            for path in paths:
                progress(f"{path.name}: {args.trials} trials")
                for index in range(args.trials):
                    bench.trial(path)
                    progress(
                        f"  trial {index + 1}: effect on both hosts {path.effects_ms[-1]:.0f} ms,"
                        f" returned {path.returns_ms[-1]:.0f} ms"
                    )
        finally:
            bench.close()
    load = f"{args.load} keep-alive connections through the VIP" if args.load else "idle lab"
    print(f"\nDrain {POOL}/{SERVER} on both LB hosts ({load}): request to effect, in ms\n")
    headers = [
        "path",
        "worker reloads",
        "trials",
        "effect median",
        "p90",
        "max",
        "call returned (median)",
        "target (p90)",
        "result",
    ]
    if args.load:
        headers.append("load failed")
    print_table(headers, [row(p, args.trials, bool(args.load)) for p in paths])


if __name__ == "__main__":
    main()
