"""Benchmark 5: deploy time for 2, 4 and 8 lab LB hosts (pairs in parallel, a pair in order).

    .venv/bin/python benchmarks/fanout.py [--hosts 2,4,8] [--trials 3]

For each size the lab is rebuilt with that many LB hosts, one VIP pair per two hosts
(controlplane.lab.multi_pair). Measured: the first deploy (every host gets its files and
starts its daemons), then `--trials` deploys that change a health check interval, so every
HAProxy reloads. "host sum" is the sum of the per-host times: what the deploy would take if
hosts went one at a time. Prints a markdown table; run as root; nothing here is a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

from lab_bench import held_lab, progress

from controlplane import lab as lab_api
from controlplane.deploy import DeployResult, deploy_environment
from controlplane.lab import Lab
from controlplane.lab.multi_pair import multi_pair_document
from controlplane.model import validate_data
from controlplane.render import render_model


def deploy(lab: Lab, document: dict) -> tuple[float, DeployResult]:
    """Return (wall seconds, result) of one deploy of `document`; exits when it failed."""
    model = validate_data(document).model
    started = time.monotonic()
    result = deploy_environment(model, render_model(model), lab.inventory_path, "fanout-bench")
    seconds = time.monotonic() - started
    if not result.ok:
        failed = [(h.host, h.status, h.error) for h in result.hosts if h.status != "changed"]
        raise SystemExit(f"deploy failed: {failed}")
    return seconds, result


def measure(hosts: int, trials: int) -> dict[str, float]:
    lab = lab_api.up(lb_hosts=hosts, backends=3)
    document = multi_pair_document(hosts // 2)
    first_s, first = deploy(lab, document)
    progress(f"{hosts} hosts: first deploy {first_s:.1f} s")
    change_s, host_sums = [], []
    for trial in range(trials):
        document["health_checks"][0]["interval"] = f"{2 + trial % 2}s"  # alternates: reloads
        seconds, result = deploy(lab, document)
        change_s.append(seconds)
        host_sums.append(sum(h.seconds for h in result.hosts))
        progress(f"{hosts} hosts: change deploy {trial + 1}/{trials} {seconds:.1f} s")
    return {
        "first": first_s,
        "first_sum": sum(h.seconds for h in first.hosts),
        "change": statistics.median(change_s),
        "change_sum": statistics.median(host_sums),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="2,4,8", help="LB host counts (even, 2..10)")
    parser.add_argument("--trials", type=int, default=3, help="change deploys per size")
    args = parser.parse_args()
    sizes = [int(n) for n in args.hosts.split(",")]
    if any(n % 2 or not 2 <= n <= 10 for n in sizes):
        raise SystemExit("--hosts: even numbers from 2 to 10")
    rows = {}
    with held_lab():
        for hosts in sizes:
            rows[hosts] = measure(hosts, args.trials)
    print("| LB hosts | pairs | first deploy | host sum | change deploy (median) | host sum |")
    print("|---:|---:|---:|---:|---:|---:|")
    for hosts, r in rows.items():
        print(
            f"| {hosts} | {hosts // 2} | {r['first']:.1f} s | {r['first_sum']:.1f} s "
            f"| {r['change']:.1f} s | {r['change_sum']:.1f} s |"
        )


if __name__ == "__main__":
    main()
