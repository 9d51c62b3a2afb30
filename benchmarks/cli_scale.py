"""Benchmark: `lbctl validate` / `lbctl render` of a big model beside `haproxy -c`, by phase.

    .venv/bin/python benchmarks/cli_scale.py [--pools 5000] [--servers 10] [--rounds 5]
        [--options]

One generated model (benchmarks/render_scale.py's: N pools x S servers, N/10 routed
frontends, two LB hosts). In each round, one after the other: `lbctl validate` and `lbctl
render --out DIR --skip-binary-check` (the binary check runs haproxy -c itself, on both
hosts) three ways each, then `haproxy -c -q` of one host's rendered haproxy.cfg, so all
see the same machine load:

- cold, `--no-cache`: everything computed, nothing stored (what a first run computes);
- first run: an empty result cache, so computed and then stored (the cost of storing);
- warm: the same inputs again, answered by the result cache (usecases/result_cache.py).

Each is a whole process (interpreter start, imports, parse, ..., exit); the table shows the
best and median wall time and the best CPU time (user + sys, from wait4) over the rounds,
and the ratio to haproxy's. CPU time is the fairer ratio on a busy machine.

Then where one `lbctl render` spends its CPU, phase by phase, in a fresh interpreter doing
what the command does (the best of --rounds runs for each phase). `lbctl` parses the
model file in a second process while it imports (model/parse_ahead.py): the phases are
measured one after the other in one process, the commands as they run. `--options` adds
`lbctl validate` with that turned off (LBCTL_PARSE_AHEAD=0) to the first table, and the
alternatives measured side by side: rapidyaml against ryaml (when `ryml` is importable),
pydantic's `model_validate_json` against `model_validate`, and the collector on or off.
Prints markdown tables; nothing is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from render_scale import generated_model

ROOT = Path(__file__).resolve().parent.parent
LBCTL = [sys.executable, "-m", "controlplane.cli"]
# The children run with bytecode, as an installed wheel has it (pip compiles on install): a
# checkout run under PYTHONDONTWRITEBYTECODE=1 would compile every lbctl module on every run
# (0.2-0.45 s of CPU measured here), which no user pays. main() points this at a temporary
# folder, so the checkout is not littered; the warm-up run writes it.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CACHE_ENV = "LBCTL_CACHE"  # usecases/result_cache.py: "0" turns the cache off


def run_once(argv: list[str], empty_cache: bool = False) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds) of one run of a command; exits on failure.

    `empty_cache`: run it with a result cache of its own, empty.
    """
    env = dict(CHILD_ENV)
    with tempfile.TemporaryFile() as errors, tempfile.TemporaryDirectory() as cache:
        if empty_cache:
            env["XDG_CACHE_HOME"] = cache
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed:\n{errors.read()[-2000:].decode()}")
    return wall, usage.ru_utime + usage.ru_stime


# Runs in a fresh interpreter: argv[1] the model, argv[2] an output folder. Prints a JSON
# object of CPU seconds per phase. The calls are the ones `lbctl render` makes.
_PHASES = """
import json, sys, time
clock = time.process_time
times = {}
mark = clock()
def phase(name):
    global mark
    now = clock()
    times[name] = times.get(name, 0.0) + now - mark
    mark = now
import controlplane.cli.group, controlplane.cli.model_commands
phase("imports")
from controlplane.cli.one_shot import without_gc_pauses
from controlplane.model.document import parse_document
from controlplane.model.error_budget import first_errors
from controlplane.model.file_checks import check_file_contents
from controlplane.model.file_flow import read_model_files
from controlplane.model.rules import check_model
from controlplane.model.schema import LbModel
from controlplane.render import render_model
from controlplane.usecases.files import write_rendered
with without_gc_pauses():
    phase("imports")
    data = parse_document(open(sys.argv[1], "rb").read(), sys.argv[1])
    phase("YAML parse")
    model, errors, _ = first_errors(LbModel, data)
    assert not errors, errors[:3]
    phase("pydantic")
    found = check_model(model)
    assert not found.errors, found.errors[:3]
    phase("cross-object rules")
    contents = read_model_files(model, sys.argv[1])
    check_file_contents(model, contents)
    phase("declared files")
    rendered = render_model(model, contents)
    phase("render (both hosts)")
    write_rendered(rendered, sys.argv[2])
    phase("write files")
print(json.dumps(times))
"""

PHASES = (
    "imports",
    "YAML parse",
    "pydantic",
    "cross-object rules",
    "declared files",
    "render (both hosts)",
    "write files",
)

# Runs in a fresh interpreter: argv[1] the model. Prints JSON: option -> CPU seconds.
_OPTIONS = """
import gc, json, sys, time
clock = time.process_time
from controlplane.model.document import parse_document
from controlplane.model.schema import LbModel
raw = open(sys.argv[1], "rb").read()
out = {}
def best(name, work, rounds=3):
    spent = []
    for _ in range(rounds):
        started = clock()
        result = work()
        spent.append(clock() - started)
    out[name] = min(spent)
    return result
gc.disable()
data = best("YAML: parse_document (ryaml + guards)", lambda: parse_document(raw, "m.yaml"))
import ryaml
best("YAML: ryaml.loads alone", lambda: ryaml.loads(raw.decode()))
try:
    import ryml
except ImportError:
    ryml = None
document_json = json.dumps(data)
if ryml is not None:
    def via_ryml():
        return json.loads(ryml.emit_json(ryml.parse_in_arena(raw)))
    same = via_ryml() == data
    best("YAML: rapidyaml parse + emit_json + json.loads" + ("" if same else " (DIFFERENT)"),
         via_ryml)
    best("YAML: rapidyaml parse + emit_json (no Python objects)",
         lambda: ryml.emit_json(ryml.parse_in_arena(raw)))
best("validate: model_validate (dict)", lambda: LbModel.model_validate(data))
best("validate: model_validate_json (JSON text, Rust parse)",
     lambda: LbModel.model_validate_json(document_json))
gc.enable()
best("validate: model_validate, collector on", lambda: LbModel.model_validate(data))
print(json.dumps(out))
"""


def phases(model: Path, out: Path, rounds: int) -> dict[str, float]:
    """Return the best CPU seconds of each phase over `rounds` fresh interpreters."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        done = subprocess.run(
            [sys.executable, "-c", _PHASES, str(model), str(out)],
            cwd=ROOT,
            env=CHILD_ENV,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"phases failed:\n{done.stderr[-2000:]}")
        for name, spent in json.loads(done.stdout).items():
            best[name] = min(best.get(name, spent), spent)
    return best


def interpreter_start(rounds: int) -> float:
    """Return the best CPU seconds of starting and ending the venv's bare interpreter."""
    return min(run_once([sys.executable, "-c", "pass"])[1] for _ in range(rounds))


def options(model: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _OPTIONS, str(model)],
        cwd=ROOT,
        env=CHILD_ENV,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"options failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=5000)
    parser.add_argument("--servers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each command")
    parser.add_argument("--options", action="store_true", help="alternatives side by side")
    args = parser.parse_args()
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        model = Path(tmp) / "lb.yaml"
        model.write_text(yaml.safe_dump(generated_model(args.pools, args.servers)))
        out = Path(tmp) / "out"
        CHILD_ENV["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # the warm runs' cache
        CHILD_ENV.pop(CACHE_ENV, None)
        validate = [*LBCTL, "validate", str(model)]
        render = [*LBCTL, "render", str(model), "--out", str(out), "--skip-binary-check"]
        # name -> (argv, with an empty cache of its own)
        commands = {
            "lbctl validate, cold (--no-cache)": ([*validate, "--no-cache"], False),
            "lbctl validate, first run (computes, stores)": (validate, True),
            "lbctl validate, warm (cache hit)": (validate, False),
            "lbctl render --out, cold (--no-cache)": ([*render, "--no-cache"], False),
            "lbctl render --out, first run (computes, stores)": (render, True),
            "lbctl render --out, warm (cache hit)": (render, False),
        }
        if args.options:  # the same command with the parse in the same process, as before
            commands["lbctl validate, cold, LBCTL_PARSE_AHEAD=0"] = (
                ["env", "LBCTL_PARSE_AHEAD=0", *validate, "--no-cache"],
                False,
            )
        # The file haproxy -c checks; these runs also write the bytecode and fill the cache.
        run_once(render)
        run_once(validate)
        config = out / "lb1" / "haproxy.cfg"
        commands["haproxy -c (one host)"] = (["haproxy", "-c", "-q", "-f", str(config)], False)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, (argv, empty_cache) in commands.items():
                runs[name].append(run_once(argv, empty_cache))
        lines = len(config.read_text().splitlines())
        print(
            f"{args.pools:,} pools x {args.servers} servers "
            f"({args.pools * args.servers:,} servers, {model.stat().st_size / 2**20:.1f} MiB "
            f"of YAML, {lines:,} lines of haproxy.cfg per host), {args.rounds} rounds\n"
        )
        print("| command | wall best | wall median | CPU best | x haproxy wall | x haproxy CPU |")
        print("|---|---:|---:|---:|---:|---:|")
        haproxy_wall = min(r[0] for r in runs["haproxy -c (one host)"])
        haproxy_cpu = min(r[1] for r in runs["haproxy -c (one host)"])
        for name, measured in runs.items():
            wall = min(r[0] for r in measured)
            median = statistics.median(r[0] for r in measured)
            cpu = min(r[1] for r in measured)
            print(
                f"| `{name}` | {wall:.2f} s | {median:.2f} s | {cpu:.2f} s "
                f"| {wall / haproxy_wall:.2f} | {cpu / haproxy_cpu:.2f} |"
            )
        start_cpu = interpreter_start(args.rounds)
        spent = phases(model, Path(tmp) / "phases-out", args.rounds)
        print(f"\nload average before / after: {load_before} / {_load()}")
        print(
            "\nCPU per phase of a cold `lbctl render` (best of each; validate stops after files):\n"
        )
        print("| phase | CPU |")
        print("|---|---:|")
        print(f"| Python start (bare interpreter) | {start_cpu:.2f} s |")
        for name in PHASES:
            print(f"| {name} | {spent.get(name, 0.0):.2f} s |")
        print(f"| **haproxy -c, whole process** | **{haproxy_cpu:.2f} s** |")
        if args.options:
            print("\nAlternatives, CPU of the step alone (best of 3, collector off unless said):\n")
            print("| option | CPU |")
            print("|---|---:|")
            for name, seconds in options(model).items():
                print(f"| {name} | {seconds:.3f} s |")


def _load() -> str:
    """The 1, 5 and 15 minute load averages: the machine is shared."""
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


if __name__ == "__main__":
    main()
