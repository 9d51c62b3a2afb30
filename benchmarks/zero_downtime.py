"""Benchmark 2: failed requests while deploys reload HAProxy under load (zero-downtime).

    .venv/bin/python benchmarks/zero_downtime.py [--deploys 20] [--connections 8]

Root only. Holds the namespace lab (waits while another process holds it), brings it up,
deploys inventory/lab/lb.yaml, then runs three loads of the same length, each one bounded
keep-alive load of N connections through the VIP from the lab client:

- **no deploys**: the load alone;
- **lbctl deploy**: deploys back to back, alternating between the lab model and a twin with
  a 1 s health-check interval and one more server in `app-tcp`: changes only a reload can
  apply, so HAProxy reloads on both hosts every time; each reload is proven by a new worker
  pid, counted in the table;
- **naive restart**: the same number of rounds, spread over the same time, each stopping
  the HAProxy master by pid and starting it again on both hosts (what `systemctl restart`
  does): the careless operator's way.

The load window is sized from two deploys timed beforehand under the same load (+15 %);
deploys continue while one more still fits, so at least --deploys usually run. The load
generator stops any run at 600 s: on a slow or busy machine fewer deploys fit, and the
table says how many ran.
Target: 0 failed requests (connection errors, timeouts, non-2xx) with lbctl deploy.
Prints a markdown table; not part of the test suite.
"""

from __future__ import annotations

import argparse
import time

from lab_bench import (
    DEFAULT_LAB_WAIT_S,
    HOSTS,
    VIP_URL,
    deploy,
    held_lab,
    host_statuses,
    lab_model,
    print_table,
    progress,
    steady,
    wait_for,
    worker_pid,
)

from controlplane.lab import Lab
from controlplane.model import LbModel

LEAD_S = 2.0  # load before the first event, and after the last
PACE_MARGIN = 1.15  # deploys vary; the window leaves room for that
MAX_LOAD_S = 590.0  # the lab load generator's hard limit is 600 s
MAX_REQUESTS = 3_000_000  # a bound far above what the lab serves in MAX_LOAD_S
DEPLOY_ORDER = ("lb2", "lb1")  # BACKUP first, like the deploy; lb1 holds the VIP


def reloading_change(data: dict) -> None:
    """A change HAProxy can only take by a reload: a check interval and one more server."""
    data["health_checks"][0]["interval"] = "1s"
    data["pools"][1]["servers"].append({"name": "app3", "address": "198.18.0.22", "port": 8080})


def variants() -> tuple[LbModel, LbModel]:
    """Return the lab model and its changed twin; deploying one after the other reloads."""
    return lab_model(), lab_model(reloading_change)


def timed_deploy(lab: Lab, model: LbModel) -> tuple[float, list[str]]:
    """Deploy `model`; return its seconds and the hosts whose HAProxy worker changed."""
    before = {h: worker_pid(lab, h) for h in HOSTS}
    started = time.monotonic()
    result = deploy(lab, model)
    seconds = time.monotonic() - started
    if set(host_statuses(result).values()) != {"changed"}:
        raise SystemExit(f"a deploy did not change both hosts: {host_statuses(result)}")
    reloaded = [h for h in HOSTS if worker_pid(lab, h) not in ("", before[h])]
    return seconds, reloaded


def calibrate(lab: Lab, models: tuple[LbModel, LbModel], connections: int) -> float:
    """Return the slowest of two changing deploys under the same load (whose report is dropped)."""
    load = lab.start_load(VIP_URL, connections, MAX_LOAD_S, MAX_REQUESTS)
    try:
        time.sleep(LEAD_S)
        timed = [timed_deploy(lab, models[1]), timed_deploy(lab, models[0])]
    finally:
        load.stop()  # it only made the deploys pay for the load; its figures are not used
    for _, reloaded in timed:
        if reloaded != list(HOSTS):
            raise SystemExit(f"a calibration deploy reloaded only {reloaded}")
    return max(took for took, _ in timed)


def run_no_deploys(lab: Lab, connections: int, duration: float) -> dict:
    progress(f"no deploys: {connections} connections for {duration:.0f} s")
    report = lab.run_load(VIP_URL, connections, duration, MAX_REQUESTS)
    return {"events": 0, "changed": "-", "load": report}


def run_deploys(
    lab: Lab, models: tuple[LbModel, LbModel], connections: int, duration: float, wanted: int
) -> dict:
    """Deploy back to back under one load while a whole deploy still fits in its window."""
    progress(f"lbctl deploy: {connections} connections for {duration:.0f} s, >= {wanted} deploys")
    reloads = {h: 0 for h in HOSTS}
    seconds: list[float] = []
    load = lab.start_load(VIP_URL, connections, duration, MAX_REQUESTS)
    try:
        end = time.monotonic() + duration - LEAD_S
        time.sleep(LEAD_S)
        # Another deploy only when it fits before the load's tail, at its slowest pace so far.
        while time.monotonic() + 1.2 * max(seconds, default=0.0) <= end:
            took, reloaded = timed_deploy(lab, models[(len(seconds) + 1) % 2])
            if time.monotonic() > end + LEAD_S:  # the load stopped before this deploy ended
                progress(f"  a deploy of {took:.1f} s outlasted the load: not counted")
                break
            seconds.append(took)
            for host in reloaded:
                reloads[host] += 1
            progress(f"  deploy {len(seconds)}: {took:.1f} s, reloaded {', '.join(reloaded)}")
    except BaseException:
        load.stop()
        raise
    report = load.result()
    if len(seconds) < wanted:
        progress(f"lbctl deploy: only {len(seconds)} of {wanted} deploys fitted the load window")
    return {
        "events": len(seconds),
        "changed": " / ".join(str(reloads[h]) for h in HOSTS),
        "deploy_s": seconds,
        "load": report,
    }


def naive_restart(lab: Lab, host: str) -> bool:
    """Stop `host`'s HAProxy master by pid (SIGTERM) and start it again; True if it did."""
    before = lab.haproxy_master_pid(host)
    lab.exec_on(host, [str(lab.host(host).haproxy_stop)])  # TERM the pid-file's master
    lab.exec_on(host, [str(lab.host(host).haproxy_reload)])  # nothing runs: it starts one
    after = lab.haproxy_master_pid(host)
    return after is not None and after != before


def run_naive(lab: Lab, connections: int, duration: float, rounds: int) -> dict:
    """Restart both hosts' HAProxy `rounds` times, evenly spread over one load."""
    progress(f"naive restart: {connections} connections for {duration:.0f} s, {rounds} rounds")
    restarts = {h: 0 for h in HOSTS}
    spacing = (duration - 2 * LEAD_S) / max(1, rounds)
    load = lab.start_load(VIP_URL, connections, duration, MAX_REQUESTS)
    try:
        started = time.monotonic()
        for index in range(rounds):
            time.sleep(max(0.0, started + LEAD_S + index * spacing - time.monotonic()))
            for host in DEPLOY_ORDER:
                restarts[host] += naive_restart(lab, host)
    except BaseException:
        load.stop()
        raise
    report = load.result()
    return {
        "events": rounds,
        "changed": " / ".join(str(restarts[h]) for h in HOSTS),
        "load": report,
    }


def row(name: str, run: dict) -> list[object]:
    load = run["load"]
    latency = load["latency_ms"]
    failed_pct = 100 * load["failed"] / load["requests"] if load["requests"] else 0.0
    return [
        name,
        run["events"],
        run["changed"],
        f"{load['duration_s']:.0f}",
        load["requests"],
        f"{load['failed']} ({load['failed_connection']} conn, {load['failed_status']} status)",
        f"{failed_pct:.3f}",
        f"{load['requests_per_s'] or 0:.0f}",
        _ms(latency["p50"]),
        _ms(latency["p99"]),
        _ms(latency["max"]),
    ]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deploys", type=int, default=20, help="at least this many deploys")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--lab-wait", type=float, default=DEFAULT_LAB_WAIT_S, help="seconds")
    args = parser.parse_args()
    if args.deploys < 1 or not 1 <= args.connections <= 256:
        parser.error("--deploys must be >= 1 and --connections 1..256")
    models = variants()
    with held_lab(args.lab_wait) as lab:
        progress("first deploy of the lab model")
        deploy(lab, models[0])
        if not wait_for(lambda: steady(lab), 20, 0.2):
            raise SystemExit("the pair did not settle: lb1 MASTER with the VIP, lb2 BACKUP")
        progress("timing two changing deploys under the same load")
        deploy_s = calibrate(lab, models, args.connections)
        duration = 2 * LEAD_S + args.deploys * deploy_s * PACE_MARGIN
        if duration > MAX_LOAD_S:
            progress(
                f"{args.deploys} deploys of ~{deploy_s:.1f} s do not fit the load generator's "
                f"{MAX_LOAD_S:.0f} s: fewer will run (a quieter machine deploys faster)"
            )
            duration = MAX_LOAD_S
        progress(f"a changing deploy takes {deploy_s:.1f} s under load; window {duration:.0f} s")
        quiet = run_no_deploys(lab, args.connections, duration)
        deploys = run_deploys(lab, models, args.connections, duration, args.deploys)
        naive = run_naive(lab, args.connections, duration, deploys["events"])
    print(
        f"\nZero-downtime: {args.connections} keep-alive connections through the VIP "
        f"{VIP_URL}, {duration:.0f} s per run\n"
    )
    print_table(
        [
            "run",
            "events",
            "reloads/restarts lb1 / lb2",
            "seconds",
            "requests",
            "failed",
            "failed %",
            "req/s",
            "p50 ms",
            "p99 ms",
            "max ms",
        ],
        [
            row("no deploys", quiet),
            row("lbctl deploy (reload)", deploys),
            row("naive stop/start", naive),
        ],
    )
    deploy_times = deploys["deploy_s"]
    if deploy_times:
        print(
            f"\ndeploys under load: {min(deploy_times):.1f}-{max(deploy_times):.1f} s each "
            f"(mean {sum(deploy_times) / len(deploy_times):.1f} s)"
        )
    failed = deploys["load"]["failed"]
    enough = deploys["events"] >= args.deploys
    verdict = "pass" if failed == 0 and enough else "FAIL"
    print(
        f"target: 0 failed requests during >= {args.deploys} deploys: {verdict} "
        f"({failed} failed, {deploys['events']} deploys)"
    )


if __name__ == "__main__":
    main()
