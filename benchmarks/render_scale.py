"""Benchmark 1: validate + render time and peak memory against model size, beside haproxy -c.

    .venv/bin/python benchmarks/render_scale.py [--sizes 10,100,1000,5000] [--servers 10]

Each size is a generated model: N pools x S servers, N/10 frontends each routing 10 hosts to
pools. `lbctl validate` and `lbctl render --skip-binary-check` run as separate processes
(whole commands: interpreter start, imports, parsing, writing), each the median of
`--repeat` runs; `haproxy -c` then checks one host's rendered file the same way. `lbctl
render` validates before it renders, so its time is validate + render; "x haproxy" is that
time over haproxy's, and "us/server" shows whether the cost grows linearly. Peak memory is
the largest max RSS of the lbctl processes. Prints a markdown table; nothing is a test.

`--phases` adds, for the largest size, where one in-process run spends its CPU time
(imports, YAML parsing, pydantic, cross-object rules, rendering), in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LBCTL = [sys.executable, "-m", "controlplane.cli"]


def generated_model(pools: int, servers: int) -> dict:
    """Return a valid model document with `pools` pools of `servers` servers each."""
    frontends = max(1, pools // 10)
    return {
        "settings": {"maxconn": 4000},
        "lb_hosts": [
            {"name": "lb1", "address": "198.18.0.10", "interface": "eth0"},
            {"name": "lb2", "address": "198.18.0.11", "interface": "eth0"},
        ],
        "vip_pairs": [
            {
                "name": "edge",
                "hosts": ["lb1", "lb2"],
                "virtual_router_id": 51,
                "vips": ["198.18.0.100/24"],
            }
        ],
        "health_checks": [{"name": "http-ok", "type": "http", "path": "/healthz"}],
        "pools": [
            {
                "name": f"pool{p}",
                "health_check": "http-ok",
                "servers": [
                    {
                        "name": f"s{s}",
                        "address": _address(p * servers + s),
                        "port": 8080,
                    }
                    for s in range(servers)
                ],
            }
            for p in range(pools)
        ],
        "frontends": [
            {
                "name": f"fe{f}",
                "vip_pair": "edge",
                "port": 1024 + f,
                "default_pool": f"pool{f * 10}",
                "routes": [
                    {"host": f"h{r}.f{f}.example.com", "pool": f"pool{f * 10 + r}"}
                    for r in range(min(10, pools - f * 10))
                ],
            }
            for f in range(frontends)
        ],
    }


def _address(index: int) -> str:
    # Backends spread over 198.19.0.0/16 (benchmark data only: never contacted).
    return f"198.19.{index // 250 % 250}.{index % 250 + 1}"


def timed(argv: list[str], repeat: int) -> tuple[float, float]:
    """Return (median seconds, peak RSS MiB) of `repeat` runs of a command; exits on failure."""
    times, peak = [], 0.0
    for _ in range(repeat):
        with tempfile.TemporaryFile() as errors:
            started = time.perf_counter()
            child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
            _, status, usage = os.wait4(child.pid, 0)  # this child's own max RSS
            times.append(time.perf_counter() - started)
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode != 0:
                errors.seek(0)
                raise SystemExit(f"{' '.join(argv)} failed:\n{errors.read()[-2000:].decode()}")
        peak = max(peak, usage.ru_maxrss / 1024)
    return statistics.median(times), peak


# Runs in a fresh interpreter: argv[1] is the model file; prints CPU seconds per phase.
_PHASES = """
import sys, time
clock = time.process_time
started = clock()
from controlplane.model.document import parse_document
from controlplane.model.rules import check_model
from controlplane.model.schema import LbModel
from controlplane.render import render_model
imported = clock()
data = parse_document(open(sys.argv[1], "rb").read(), sys.argv[1])
parsed = clock()
model = LbModel.model_validate(data)
validated = clock()
check_model(model)
checked = clock()
render_model(model)
rendered = clock()
print(f"| {imported - started:.2f} s | {parsed - imported:.2f} s | {validated - parsed:.2f} s "
      f"| {checked - validated:.2f} s | {rendered - checked:.2f} s | {rendered - started:.2f} s |")
"""


def phases(model: Path) -> None:
    """Print the CPU time of each phase of one in-process validate + render of `model`."""
    done = subprocess.run(
        [sys.executable, "-c", _PHASES, str(model)], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"phases failed:\n{done.stderr[-2000:]}")
    print("\n| imports | YAML | pydantic | rules | render (all hosts) | total CPU |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--servers", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="runs per command (median)")
    parser.add_argument("--phases", action="store_true", help="CPU per phase, largest size")
    args = parser.parse_args()
    print(
        "| pools | servers | haproxy.cfg lines | lbctl validate | lbctl render "
        "| haproxy -c | x haproxy | us/server | peak MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for pools in (int(s) for s in args.sizes.split(",")):
        servers = pools * args.servers
        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp) / "lb.yaml"
            model.write_text(yaml.safe_dump(generated_model(pools, args.servers)))
            validate_s, _ = timed([*LBCTL, "validate", str(model)], args.repeat)
            out = Path(tmp) / "out"
            render_argv = [*LBCTL, "render", str(model), "--out", str(out), "--skip-binary-check"]
            render_s, peak_mb = timed(render_argv, args.repeat)
            config = out / "lb1" / "haproxy.cfg"
            lines = len(config.read_text().splitlines())
            check_s, _ = timed(["haproxy", "-c", "-q", "-f", str(config)], args.repeat)
            largest = model.read_text()
        print(
            f"| {pools:,} | {servers:,} | {lines:,} | {validate_s:.2f} s | {render_s:.2f} s "
            f"| {check_s:.2f} s | {render_s / check_s:.1f} | {render_s / servers * 1e6:,.0f} "
            f"| {peak_mb:.0f} |",
            flush=True,
        )
    if args.phases:
        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp) / "lb.yaml"
            model.write_text(largest)
            phases(model)


if __name__ == "__main__":
    main()
