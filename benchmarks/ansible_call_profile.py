"""Where one Ansible module call of a deploy spends its time, profiled in Ansible's workers.

    .venv/bin/python benchmarks/ansible_call_profile.py [--trials 3]

On the 2-host lab: a first deploy, then `--trials` deploys that change a health check
interval (every HAProxy reloads), each through an `ansible-playbook` whose worker processes
(one per host and task, forked by Ansible's controller) run under cProfile. For each task
of the deploy (the probe, the decision, the host's deploy call) it prints, median over the
trials and hosts, the worker's whole time and its parts:
- **arguments**: templating the task's arguments (Ansible 2.19 compiles each argument's
  Jinja template afresh in every forked worker);
- **module packed**: building the module's AnsiballZ zip, which the first call of a module
  in a run does (finding its module_utils by compiling each one's source);
- **on the host**: from sending the module over the SSH connection to its answer: the
  host's Python, Ansible's module_utils imported from the zip (sources only, so compiled on
  every call), the module's own work;
and the deploy's own `timing` events (what the host reported as its work, per phase).
Run as root; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import textwrap
from collections import defaultdict
from pathlib import Path

from fanout import deploy
from lab_bench import held_lab, progress

from controlplane import lab as lab_api
from controlplane.deploy import runner
from controlplane.lab.multi_pair import multi_pair_document

# Run by the wrapped ansible-playbook: profiles each worker, writes a summary per task/host.
PROFILED_PLAYBOOK = """
import cProfile, json, os, pstats, signal, sys, time
from ansible.executor.process import worker

OUT = sys.argv.pop(1)
PARTS = {{
    "arguments": ("ansible/_internal/_task.py", "finalize"),
    "module packed": ("ansible/executor/module_common.py", "recursive_finder"),
    "on the host": ("ansible/plugins/connection/ssh.py", "exec_command"),
}}
run = worker.WorkerProcess._run


def profiled(self):
    profile = cProfile.Profile()
    began = time.perf_counter()
    profile.enable()
    try:
        return run(self)
    finally:
        profile.disable()
        total = time.perf_counter() - began
        # The controller ends a worker once it has its result: finish the summary first.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stats = pstats.Stats(profile).stats
        parts = {{
            part: sum(v[3] for (path, _line, name), v in stats.items()
                      if path.endswith(suffix) and name == func)
            for part, (suffix, func) in PARTS.items()
        }}
        summary = {{"task": str(self._task.get_name()), "host": str(self._host), "total": total}}
        with open(os.path.join(OUT, f"{{os.getpid()}}.json"), "w") as out:
            json.dump(summary | parts, out)


worker.WorkerProcess._run = profiled
sys.argv[0] = {playbook!r}
from ansible.cli.playbook import main
main()
"""


def wrapped_ansible(folder: Path, out: Path) -> str:
    """Write an `ansible-playbook` that profiles its workers into `out`; return its folder."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    real = Path(sys.executable).parent / "ansible-playbook"
    script = folder / "profiled_playbook.py"
    script.write_text(PROFILED_PLAYBOOK.format(playbook=str(real)))
    wrapper = bin_dir / "ansible-playbook"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} {script} {out} "$@"\n')
    wrapper.chmod(0o755)
    return str(bin_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3, help="profiled change deploys")
    args = parser.parse_args()
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with held_lab(), tempfile.TemporaryDirectory(prefix="lbctl-call-profile-") as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        lab = lab_api.up(lb_hosts=2, backends=3)
        document = multi_pair_document(1)
        deploy(lab, document)
        plain = runner._path_with_ansible
        # The deploy finds ansible-playbook first in this PATH (runner.py): the wrapper's.
        bin_dir = wrapped_ansible(Path(tmp), out)
        runner._path_with_ansible = lambda: f"{bin_dir}:{plain()}"
        try:
            for trial in range(args.trials):
                document["health_checks"][0]["interval"] = f"{3 + trial % 2}s"
                seconds, _result = deploy(lab, document)
                progress(f"profiled deploy {trial + 1}/{args.trials}: {seconds:.2f} s")
        finally:
            runner._path_with_ansible = plain
        for summary in map(json.loads, map(Path.read_text, sorted(out.glob("*.json")))):
            for key in ("total", "arguments", "module packed", "on the host"):
                found[summary["task"]][key].append(summary[key])
    print("| task (per host) | worker | arguments | module packed | on the host |")
    print("|---|---:|---:|---:|---:|")
    for task, parts in found.items():
        cells = " | ".join(f"{statistics.median(parts[k]):.3f} s" for k in parts)
        print(f"| {textwrap.shorten(task, 60)} | {cells} |")


if __name__ == "__main__":
    main()
