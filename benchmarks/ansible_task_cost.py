"""Ansible's own cost per task on the lab: why a pair's deploy sits near 2x Ansible's floor.

    .venv/bin/python benchmarks/ansible_task_cost.py [--tasks 5] [--rounds 3]

Against the 2-host lab, each `ansible-playbook` run here has 1 or `--tasks` tasks of one
kind; the cost of a task is the difference divided by the extra tasks (best of `--rounds`):
- `ping`, both hosts at once, over SSH: what the fan-out benchmark's floor has one of;
- `ping` with `connection: local`: Ansible's controller and the module's Python start, no
  SSH at all;
- lbctl's own module (`lbctl_deploy_host`, probe mode), both hosts at once: what a deploy's
  probe costs;
- `ping` and the probe with `serial: 1`: one host after the other, as a pair's deploy goes.
Prints a markdown table; run as root; nothing here is a test.
"""

from __future__ import annotations

import argparse

from lab_bench import held_lab, playbook_seconds, progress

from controlplane.lab import Lab
from controlplane.paths import playbooks_dir

PING = "    - ansible.builtin.ping:\n"
PROBE = (
    "    - lbctl_deploy_host:\n"
    "        probe: true\n"
    "        haproxy_config_path: /etc/haproxy/haproxy.cfg\n"
    "        keepalived_config_path: /etc/keepalived/keepalived.conf\n"
)
KINDS = {
    "ping, both hosts at once (SSH)": ("", PING),
    "ping, connection: local (no SSH)": ("  connection: local\n", PING),
    "lbctl_deploy_host probe, both hosts at once": ("", PROBE),
    "ping, one host after the other": ("  serial: 1\n", PING),
    "lbctl_deploy_host probe, one host after the other": ("  serial: 1\n", PROBE),
}


def playbook(play_options: str, task: str, count: int) -> str:
    return f"- hosts: all\n  gather_facts: false\n{play_options}  tasks:\n" + task * count


def task_seconds(lab: Lab, play_options: str, task: str, tasks: int) -> tuple[float, float]:
    """Return (seconds of a one-task run, seconds of each further task)."""
    folder = playbooks_dir()
    env = {
        "ANSIBLE_LIBRARY": str(folder / "library"),
        "ANSIBLE_MODULE_UTILS": str(folder / "module_utils"),
    }
    one = playbook_seconds(lab, playbook(play_options, task, 1), env)
    many = playbook_seconds(lab, playbook(play_options, task, tasks), env)
    return one, (many - one) / (tasks - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5, help="tasks in the longer run (2-20)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each kind (best kept)")
    args = parser.parse_args()
    if not 2 <= args.tasks <= 20 or not 1 <= args.rounds <= 10:
        raise SystemExit("--tasks: 2 to 20; --rounds: 1 to 10")
    rows = {}
    with held_lab() as lab:
        for name, (options, task) in KINDS.items():
            runs = [task_seconds(lab, options, task, args.tasks) for _ in range(args.rounds)]
            rows[name] = (min(r[0] for r in runs), min(r[1] for r in runs))
            one, each = rows[name]
            progress(f"{name}: one-task run {one:.2f} s, each further task {each:.2f} s")
    print("| tasks of | one-task run (start, connect, task, end) | each further task |")
    print("|---|---:|---:|")
    for name, (one, each) in rows.items():
        print(f"| {name} | {one:.2f} s | {each:.2f} s |")


if __name__ == "__main__":
    main()
