"""Benchmark 5: deploy time for 2, 4 and 8 lab LB hosts (pairs in parallel, a pair in order).

    .venv/bin/python benchmarks/fanout.py [--hosts 2,4,8] [--trials 3]

For each size the lab is rebuilt with that many LB hosts, one VIP pair per two hosts
(controlplane.lab.multi_pair). Measured: the first deploy (every host gets its files and
starts its daemons), then `--trials` deploys that change a health check interval, so every
HAProxy reloads. "host sum" is the sum of the per-host times: what the deploy would take if
hosts went one at a time. "Ansible floor" is, in the same run, one `ansible-playbook` of a
single no-op task (ping) against the same hosts with the deploy's connection settings
(fresh SSH connections, as a deploy's probe opens them); "x floor" is the change deploy
over it. Where the deploy's time goes per phase (the "timing" events of each host and of the
run) is printed on stderr. Prints a markdown table; run as root; nothing here is a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

from lab_bench import held_lab, playbook_seconds, progress

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
    for event in result.events:
        if event.task == "timing":
            progress(f"  {event.host}: {event.message}")
    if not result.ok:
        failed = [(h.host, h.status, h.error) for h in result.hosts if h.status != "changed"]
        raise SystemExit(f"deploy failed: {failed}")
    return seconds, result


NO_OP = "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n"


def ansible_floor(lab: Lab) -> float:
    """Return the wall seconds of one ansible-playbook run of a single no-op task."""
    return playbook_seconds(lab, NO_OP)


def measure(hosts: int, trials: int) -> dict[str, float]:
    lab = lab_api.up(lb_hosts=hosts, backends=3)
    document = multi_pair_document(hosts // 2)
    first_s, first = deploy(lab, document)
    progress(f"{hosts} hosts: first deploy {first_s:.1f} s")
    change_s, host_sums, floor_s = [], [], []
    for trial in range(trials):
        floor_s.append(ansible_floor(lab))
        # 3s, 4s, 3s...: each differs from the one before (the model starts at 2s), so reloads
        document["health_checks"][0]["interval"] = f"{3 + trial % 2}s"
        seconds, result = deploy(lab, document)
        change_s.append(seconds)
        host_sums.append(sum(h.seconds for h in result.hosts))
        progress(
            f"{hosts} hosts: change deploy {trial + 1}/{trials} {seconds:.1f} s"
            f" (Ansible floor {floor_s[-1]:.1f} s)"
        )
    return {
        "floor": statistics.median(floor_s),
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
    print(
        "| LB hosts | pairs | first deploy | host sum | change deploy (median) | host sum "
        "| Ansible floor | x floor |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for hosts, r in rows.items():
        print(
            f"| {hosts} | {hosts // 2} | {r['first']:.1f} s | {r['first_sum']:.1f} s "
            f"| {r['change']:.1f} s | {r['change_sum']:.1f} s | {r['floor']:.1f} s "
            f"| {r['change'] / r['floor']:.1f} |"
        )


if __name__ == "__main__":
    main()
