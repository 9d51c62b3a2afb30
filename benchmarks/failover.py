"""Benchmark 3: the client-visible outage when the MASTER's link goes down.

    .venv/bin/python benchmarks/failover.py [--trials 10]

Root only. Holds the namespace lab (waits while another process holds it), brings it up and
deploys inventory/lab/lb.yaml twice: as it is (advert_interval 1s, so VRRPv2 by the model's
rule) and with advert_interval 100ms (VRRPv3). For each, every trial:

1. waits for the steady state: lb1 MASTER holding the VIP, lb2 BACKUP (keepalived's notify
   hook), and a short probe through the VIP with no failure;
2. probes the VIP from the lab client every 10 ms, each on a new connection (0.2 s
   timeout, `--probe-timeout`), takes lb1's link down (`lbctl lab fail-host lb1`) and
   waits for lb2 to hold the VIP;
3. reads the probe's longest gap between two good answers: the client-visible outage;
4. brings lb1's link back (preempt returns the VIP to it).

A probe sent just before the takeover waits out its timeout, so the outage can exceed the
moment lb2 holds the VIP (also printed) by up to that timeout.
Prints median and max outage per advert interval against the target 3 x advert + 0.3 s
(pass/fail on the max), and the issue's < 0.5 s at 100 ms. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lab_bench import (
    DEFAULT_LAB_WAIT_S,
    VIP,
    VIP_URL,
    deploy,
    held_lab,
    lab_model,
    median,
    print_table,
    progress,
    quantile,
    steady,
    wait_for,
)

from controlplane.lab import Lab
from controlplane.model.rules import vrrp_version

LEAD_S = 1.5  # probing before the link goes down (the probe process starts meanwhile)
SETTLE_TIMEOUT_S = 30.0
ISSUE_LIMIT_100MS_S = 0.5


@dataclass(frozen=True)
class Setting:
    label: str
    advert_s: float
    change: Callable[[dict], None]

    @property
    def target_s(self) -> float:
        return 3 * self.advert_s + 0.3


@dataclass
class Trials:
    setting: Setting
    version: int
    outages: list[float] = field(default_factory=list)
    takeovers: list[float] = field(default_factory=list)  # link down -> VIP on lb2
    failed_probes: list[int] = field(default_factory=list)


def advert(value: str) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        data["vip_pairs"][0]["advert_interval"] = value

    return change


SETTINGS = (
    Setting("1 s", 1.0, advert("1s")),
    Setting("100 ms", 0.1, advert("100ms")),
)


def settle(lab: Lab) -> None:
    """Wait for the steady state and a clean probe through the VIP; raise when it never comes."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if wait_for(lambda: steady(lab), deadline - time.monotonic(), 0.1):
            check = lab.run_probe(VIP_URL, interval=0.02, duration=1.0, max_requests=100)
            if check["ok"] > 0 and check["failed"] == 0:
                return
    raise SystemExit(
        f"the pair did not return to lb1 MASTER / lb2 BACKUP with a clean probe within "
        f"{SETTLE_TIMEOUT_S:.0f} s (lb1 holds {lab.vips_on('lb1')}, lb2 {lab.vips_on('lb2')})"
    )


def trial(lab: Lab, setting: Setting, probe_timeout: float) -> tuple[float, float, int]:
    """Return (outage s, takeover s, failed probes) of one link-down of the MASTER."""
    settle(lab)
    duration = LEAD_S + 5 * setting.advert_s + 1.5
    probe = lab.start_probe(
        VIP_URL, interval=0.01, duration=duration, max_requests=5_000, timeout=probe_timeout
    )
    try:
        time.sleep(LEAD_S)
        down_at = time.monotonic()
        lab.link_down("lb1")
        if not wait_for(lambda: lab.vips_on("lb2") == [VIP], 10 * setting.advert_s + 5, 0.01):
            raise SystemExit("lb2 never took the VIP after lb1's link went down")
        takeover = time.monotonic() - down_at
        report = probe.result()
    except BaseException:
        probe.stop()
        raise
    finally:
        lab.link_up("lb1")
    if report["ok"] == 0 or report["outage_windows_total"] == 0:
        raise SystemExit(f"the probe saw no failover (probe started late?): {report}")
    return report["max_outage_s"], takeover, report["failed"]


def measure(lab: Lab, setting: Setting, trials: int, probe_timeout: float) -> Trials:
    model = lab_model(setting.change)
    version = vrrp_version(model.vip_pairs[0])
    progress(f"advert {setting.label} (VRRPv{version}): deploy, then {trials} trials")
    deploy(lab, model)
    found = Trials(setting, version)
    for index in range(trials):
        outage, takeover, failed = trial(lab, setting, probe_timeout)
        found.outages.append(outage)
        found.takeovers.append(takeover)
        found.failed_probes.append(failed)
        progress(
            f"  trial {index + 1}: outage {outage:.3f} s, lb2 held the VIP after "
            f"{takeover:.3f} s, {failed} probes failed"
        )
    return found


def row(found: Trials) -> list[object]:
    setting = found.setting
    worst = max(found.outages)
    return [
        setting.label,
        f"v{found.version}",
        len(found.outages),
        f"{median(found.outages):.3f}",
        f"{quantile(found.outages, 0.9):.3f}",
        f"{worst:.3f}",
        f"{median(found.takeovers):.3f}",
        f"<= {setting.target_s:.2f}",
        "pass" if worst <= setting.target_s else "FAIL",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="link-downs per advert interval")
    parser.add_argument(
        "--probe-timeout", type=float, default=0.2, help="seconds per probe request"
    )
    parser.add_argument("--lab-wait", type=float, default=DEFAULT_LAB_WAIT_S, help="seconds")
    args = parser.parse_args()
    if not 1 <= args.trials <= 100 or not 0.01 <= args.probe_timeout <= 2:
        parser.error("--trials must be 1..100 and --probe-timeout 0.01..2")
    with held_lab(args.lab_wait) as lab:
        results = [measure(lab, setting, args.trials, args.probe_timeout) for setting in SETTINGS]
    print(
        "\nFailover: lb1 (MASTER) loses its link; a client probes the VIP every 10 ms on new "
        f"connections ({args.probe_timeout} s timeout); outage = longest gap between good "
        "answers\n"
    )
    print_table(
        [
            "advert",
            "VRRP",
            "trials",
            "median s",
            "p90 s",
            "max s",
            "VIP on lb2 after (median s)",
            "target s",
            "result",
        ],
        [row(found) for found in results],
    )
    for found in results:
        outages = ", ".join(f"{o:.3f}" for o in found.outages)
        print(f"\n{found.setting.label}: outages {outages}")
    fast = next(f for f in results if f.setting.advert_s == 0.1)
    verdict = "pass" if max(fast.outages) < ISSUE_LIMIT_100MS_S else "FAIL"
    print(f"issue target at 100 ms: every outage < {ISSUE_LIMIT_100MS_S} s: {verdict}")


if __name__ == "__main__":
    main()
