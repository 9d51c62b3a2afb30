"""Benchmark 1: validate + render time and peak memory against model size, beside haproxy -c.

    .venv/bin/python benchmarks/render_scale.py [--sizes 10,100,1000,5000] [--servers 10]

Each size is a generated model: N pools x S servers, N/10 frontends each routing 10 hosts to
pools. `lbctl validate` and `lbctl render --skip-binary-check` run as separate processes so
peak memory (max RSS) is theirs alone; `haproxy -c` then checks one host's rendered file.
Prints a table; nothing is timed in the test suite.
"""

from __future__ import annotations

import argparse
import resource
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


def timed(argv: list[str]) -> tuple[float, float]:
    """Return (seconds, peak RSS MiB) of one child process; raises when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--servers", type=int, default=10)
    args = parser.parse_args()
    # `lbctl render` validates first, so its time is validate + render.
    print(
        f"{'pools':>6} {'servers':>8} {'lines':>7} {'validate':>9} {'render':>8} "
        f"{'haproxy -c':>11} {'peak MiB':>9}"
    )
    for pools in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp) / "lb.yaml"
            model.write_text(yaml.safe_dump(generated_model(pools, args.servers)))
            validate_s, validate_mb = timed([*LBCTL, "validate", str(model)])
            out = Path(tmp) / "out"
            render_s, render_mb = timed(
                [*LBCTL, "render", str(model), "--out", str(out), "--skip-binary-check"]
            )
            config = out / "lb1" / "haproxy.cfg"
            lines = len(config.read_text().splitlines())
            check_s, _ = timed(["haproxy", "-c", "-q", "-f", str(config)])
        print(
            f"{pools:>6} {pools * args.servers:>8} {lines:>7} {validate_s:>8.2f}s "
            f"{render_s:>7.2f}s {check_s:>10.2f}s {max(validate_mb, render_mb):>9.0f}"
        )


if __name__ == "__main__":
    main()
