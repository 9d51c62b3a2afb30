"""Benchmark: certificate rotation, request to served on both hosts, runtime API vs deploy.

    .venv/bin/python benchmarks/cert_rotation.py [--trials 10] [--deploy-trials 2] [--load 0]

Root only. Holds the namespace lab (waits while another process holds it), brings it up and
deploys the lab model plus a TLS frontend on :443 with two certificates (SNI) from a model
folder (the file flow). Each trial gives certificate `site-a` a new leaf (same names), by:

- `rotation`: `runtime.rotate_files`, the entry point ACME renewals use: the per-host agent
  (persistent SSH, opened beforehand) writes the new file version, `set ssl cert` + `commit
  ssl cert` on both hosts in parallel, then `show ssl cert` must report the new fingerprint
  and the same worker must answer. The call returns once both hosts proved it: that is
  "served on both hosts";
- `deploy`: `lbctl deploy` of the model folder with the new file (render, local proof,
  Ansible per host, BACKUP first); the plan finds a content-only change and the hosts take
  the runtime path, no reload;
- `deploy-reload`: the same plus a health-check interval change, so HAProxy reloads on both
  hosts (each proven by a new worker).

After each trial the VIP's certificate for a.example.com is read back with openssl (not
timed) and must be the new one. `--load N` runs N keep-alive https connections through the
VIP during every timed change; their failures are counted. Target: rotation under 500 ms
(judged on p90). Prints a markdown table; not part of the test suite.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from lab_bench import (
    DEFAULT_LAB_WAIT_S,
    HOSTS,
    LAB_MODEL,
    ROOT,
    VIP,
    held_lab,
    median,
    print_table,
    progress,
    quantile,
    worker_pid,
)

from controlplane.lab import Lab
from controlplane.runtime import ChannelPool, rotate_files
from controlplane.usecases.files import deploy_file

sys.path.insert(0, str(ROOT))  # the tests' throwaway certificate maker
from tests.tls_material import Issued, make_ca, make_leaf

TARGET_MS = 500.0
FILES_DIR = "/etc/haproxy/lbctl"
KEY = "certs/site-a.pem"


@dataclass
class RotationPath:
    name: str
    times_ms: list[float] = field(default_factory=list)
    reloads: int = 0
    load_requests: int = 0
    load_failed: int = 0


class Site:
    """The TLS model folder deployed to the lab, and its certificates."""

    def __init__(self, lab: Lab, folder: Path) -> None:
        self.lab = lab
        self.folder = folder
        self.ca = make_ca("benchmark CA")
        self.a = make_leaf(self.ca, "a.example.com")
        self.b = make_leaf(self.ca, "b.example.com")
        self.check_interval = "2s"

    def write(self) -> Path:
        (self.folder / "certs").mkdir(exist_ok=True)
        (self.folder / "certs/a.pem").write_text(self.a.bundle())
        (self.folder / "certs/b.pem").write_text(self.b.bundle())
        document = yaml.safe_load(LAB_MODEL.read_text())
        document["health_checks"][0]["interval"] = self.check_interval
        document["certificates"] = [
            {"name": "site-a", "file": "certs/a.pem"},
            {"name": "site-b", "file": "certs/b.pem"},
        ]
        document["frontends"].append(
            {
                "name": "web-tls",
                "vip_pair": "edge",
                "vip": VIP,
                "port": 443,
                "mode": "http",
                "default_pool": "app",
                "tls": {"certificates": ["site-a", "site-b"]},
            }
        )
        path = self.folder / "lb.yaml"
        path.write_text(yaml.safe_dump(copy.deepcopy(document), sort_keys=False))
        return path

    def deploy(self) -> None:
        result = deploy_file(self.write(), self.lab.inventory_path)
        if not result.ok:
            raise SystemExit(
                f"deploy failed: {[(h.host, h.status, h.error) for h in result.hosts]}"
            )

    def served_serial(self) -> int:
        pipeline = (
            f"openssl s_client -connect {VIP}:443 -servername a.example.com </dev/null "
            "2>/dev/null | openssl x509 -noout -serial"
        )
        out = self.lab.exec_in_client(["sh", "-c", pipeline]).stdout
        return int(out.strip().split("=", 1)[1], 16)


def trial(site: Site, path: RotationPath, channels: ChannelPool, load_connections: int) -> None:
    lab = site.lab
    before = {h: worker_pid(lab, h) for h in HOSTS}
    new: Issued = make_leaf(site.ca, "a.example.com")
    load = None
    if load_connections:
        guess_ms = 500.0 if path.name == "rotation" else 20_000.0
        expected = max(path.times_ms, default=guess_ms) / 1000
        load = lab.start_load(
            f"https://{VIP}/", load_connections, 1.0 + 1.5 * expected + 2, 2_000_000
        )
        time.sleep(1.0)  # the connections are up and kept alive when the change starts
    started = time.monotonic()
    if path.name == "rotation":
        targets = list(channels.targets(lab.inventory_path, list(HOSTS)).values())
        result = rotate_files(channels, targets, FILES_DIR, {KEY: new.bundle()}, {KEY})
        if not result.ok:
            raise SystemExit(f"rotation failed: {[h.as_dict() for h in result.hosts]}")
        site.a = new  # the model follows, so the next deploy ships the same file
    else:
        site.a = new
        if path.name == "deploy-reload":
            site.check_interval = "3s" if site.check_interval == "2s" else "2s"
        site.deploy()
    path.times_ms.append((time.monotonic() - started) * 1000)
    if load:
        report = load.result()
        path.load_requests += report["requests"]
        path.load_failed += report["failed"]
    path.reloads += sum(worker_pid(lab, h) != before[h] for h in HOSTS)
    if site.served_serial() != new.cert.serial_number:
        raise SystemExit(f"{path.name}: the VIP does not serve the new certificate")


def row(path: RotationPath, with_load: bool) -> list[object]:
    times = path.times_ms
    p90 = quantile(times, 0.9)
    runtime = path.name == "rotation"
    cells: list[object] = [
        path.name,
        f"{path.reloads} of {2 * len(times)}",
        len(times),
        f"{median(times):.0f}",
        f"{p90:.0f}",
        f"{max(times):.0f}",
        f"< {TARGET_MS:.0f} ms" if runtime else "-",
        ("pass" if p90 < TARGET_MS else "FAIL") if runtime else "-",
    ]
    if with_load:
        cells.append(f"{path.load_failed} of {path.load_requests}")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="runtime rotations")
    parser.add_argument("--deploy-trials", type=int, default=2, help="per deploy path")
    parser.add_argument("--load", type=int, default=0, help="keep-alive https connections")
    parser.add_argument("--lab-wait", type=float, default=DEFAULT_LAB_WAIT_S, help="seconds")
    args = parser.parse_args()
    if (
        not 1 <= args.trials <= 100
        or not 0 <= args.deploy_trials <= 20
        or not 0 <= args.load <= 256
    ):
        parser.error("--trials must be 1..100, --deploy-trials 0..20 and --load 0..256")
    plan = [("rotation", args.trials), ("deploy", args.deploy_trials)]
    plan.append(("deploy-reload", args.deploy_trials))
    paths = [RotationPath(name) for name, n in plan if n]
    with held_lab(args.lab_wait) as lab, tempfile.TemporaryDirectory() as folder:
        site = Site(lab, Path(folder))
        progress("first deploy: the lab model with a TLS frontend (two certificates, SNI)")
        site.deploy()
        channels = ChannelPool()
        try:
            channels.warm(list(channels.targets(lab.inventory_path, list(HOSTS)).values()))
            for path, (_name, trials) in zip(paths, [p for p in plan if p[1]], strict=True):
                progress(f"{path.name}: {trials} trials")
                for index in range(trials):
                    trial(site, path, channels, args.load)
                    progress(f"  trial {index + 1}: {path.times_ms[-1]:.0f} ms")
        finally:
            channels.close()
    load = f"{args.load} keep-alive https connections through the VIP" if args.load else "idle lab"
    print(f"\nRotate certificate site-a on both LB hosts ({load}): request to served, in ms\n")
    headers = ["path", "worker reloads", "trials", "median", "p90", "max", "target (p90)", "result"]
    if args.load:
        headers.append("load failed")
    print_table(headers, [row(p, bool(args.load)) for p in paths])


if __name__ == "__main__":
    main()
