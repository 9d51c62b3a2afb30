"""Benchmark: how much of a real pair `lbctl import` carries over, and how fast at scale.

    .venv/bin/python benchmarks/import_scale.py [--servers 50000] [--no-equivalence]

1. The corpus (tests/import_corpus/): for each case, whether the rendered import serves
   the same as the original (tests/config_import/equivalence.py: both served in private
   namespaces, requests derived from the original's rules; needs root), and whether the
   import needed any `extra` line.
2. A generated pair whose haproxy.cfg has `--servers` servers (1,000 backends of 50 by
   default, host-routed from one frontend): the time of `import_dir` (read, map, validate,
   YAML) without the original's haproxy -c, and of haproxy -c itself for comparison.

Prints markdown tables; nothing here is a test.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from controlplane.config_import.report import ImportRefused  # noqa: E402
from controlplane.usecases.config_import import import_dir  # noqa: E402
from tests.config_import.corpus import CASES, announced_ports, imported_model, prepared  # noqa: E402
from tests.config_import.equivalence import can_run, compare  # noqa: E402

KEEPALIVED = """global_defs {{
    enable_script_security
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {priority}
    unicast_src_ip {me}
    unicast_peer {{
        {peer}
    }}
    virtual_ipaddress {{
        198.18.0.100/24
    }}
}}
"""


def corpus_table(equivalence: bool) -> None:
    print("| case | equivalent | extra lines | report (native / extra / translated / dropped) |")
    print("|---|---|---|---|")
    equivalent = no_extra = 0
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            folder = prepared(case, Path(tmp) / "in")
            try:
                model, report = imported_model(folder, Path(tmp) / "model")
            except ImportRefused as exc:
                # A case that cannot be imported counts as not equivalent, with its reason.
                print(f"| {case} | NO (refused: {str(exc).splitlines()[0]}) | - | - |")
                continue
            c = report.counts
            same = "not run"
            if equivalence:
                differences, asked = compare(folder, "lb1", model, Path(tmp) / "model")
                unannounced = [
                    d for d in differences if d.request["port"] not in announced_ports(case)
                ]
                ok = not unannounced
                equivalent += ok
                same = f"{'yes' if ok else 'NO'} ({asked - len(differences)}/{asked} same"
                same += f", {len(differences)} announced)" if differences else ")"
        no_extra += c["extra"] == 0
        print(
            f"| {case} | {same} | {c['extra']} | {c['native']} / {c['extra']} / "
            f"{c['translated']} / {c['dropped']} |"
        )
    n = len(CASES)
    if equivalence:
        print(f"\nequivalent after import: {equivalent}/{n} ({100 * equivalent / n:.0f} %)")
    print(f"imported with no extra: {no_extra}/{n} ({100 * no_extra / n:.0f} %)")


def generated_pair(folder: Path, servers: int, per_backend: int = 50) -> None:
    backends = max(1, servers // per_backend)
    lines = [
        "global",
        "    maxconn 20000",
        "defaults",
        "    mode http",
        "    timeout connect 5s",
        "    timeout client 30s",
        "    timeout server 30s",
        "frontend web",
        "    bind 198.18.0.100:80",
    ]
    for b in range(backends):
        lines.append(f"    use_backend be{b} if {{ hdr(host) -i site{b}.example.com }}")
    lines.append("    default_backend be0")
    for b in range(backends):
        lines += [f"backend be{b}", "    balance roundrobin", "    option httpchk GET /health"]
        for s in range(per_backend):
            n = b * per_backend + s
            address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
            lines.append(f"    server s{s} {address}:8080 check weight {1 + s % 10}")
    config = "\n".join(lines) + "\n"
    for host, me, peer, priority in (
        ("lb1", "198.18.0.10", "198.18.0.11", 150),
        ("lb2", "198.18.0.11", "198.18.0.10", 100),
    ):
        (folder / host).mkdir(parents=True)
        (folder / host / "haproxy.cfg").write_text(config)
        (folder / host / "keepalived.conf").write_text(
            KEEPALIVED.format(priority=priority, me=me, peer=peer)
        )


def scale_table(servers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pair"
        generated_pair(folder, servers)
        size = (folder / "lb1/haproxy.cfg").stat().st_size
        started = time.perf_counter()
        result = import_dir(folder, prove=False)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(
            ["haproxy", "-c", "-q", "-f", str(folder / "lb1/haproxy.cfg")], capture_output=True
        )
        haproxy = time.perf_counter() - started
    print("\n| servers | haproxy.cfg | import (2 hosts, no haproxy -c) | haproxy -c | model YAML |")
    print("|---|---|---|---|---|")
    print(
        f"| {servers:,} | {size / 2**20:.1f} MiB | {seconds:.2f} s | {haproxy:.2f} s | "
        f"{len(result.yaml_text) / 2**20:.1f} MiB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=50_000)
    parser.add_argument("--no-equivalence", action="store_true")
    args = parser.parse_args()
    corpus_table(not args.no_equivalence and can_run())
    scale_table(args.servers)


if __name__ == "__main__":
    main()
