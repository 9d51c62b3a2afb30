"""Adding a VIP to a running pair: no split brain with `advertised_vips: first` (root only).

One deployment is shared by the module: the lab pair runs with first-only adverts and one
VIP, then a deploy adds a second VIP and a frontend on it while a thread records which host
holds which VIP (every ~50 ms) and a probe sends requests to the first VIP. The tests read
that record. VRRPv2 drops an advert whose address list differs from its own, so with every
VIP advertised the host reloaded first stops hearing its peer and takes the VIPs too; with
first-only adverts the list never changes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from controlplane import lab as lab_api
from controlplane.lab import Lab
from controlplane.lab.probe import NamespaceProbe

from .deploying import (
    VIP,
    VIP_URL,
    Change,
    deploy,
    lab_model,
    live_file,
    statuses,
    wait_for,
)

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

NEW_VIP = "198.18.0.101"
NEW_VIP_URL = f"http://{NEW_VIP}/"
HOSTS = ("lb1", "lb2")
# From the end of the deploy: the master has reloaded, so it adds the new VIP at once.
NEW_VIP_BOUND_S = 5.0
SAMPLE_INTERVAL_S = 0.05
MAX_SAMPLES = 4_000  # 200 s at the interval: far past a deploy
PROBE_LIMIT_S = 180.0


def first_only_adverts(data: dict) -> None:
    data["vip_pairs"][0]["keepalived"] = {"advertised_vips": "first"}


def second_vip(data: dict) -> None:
    data["vip_pairs"][0]["vips"].append(f"{NEW_VIP}/24")
    data["frontends"].append(
        {"name": "web2", "vip_pair": "edge", "vip": NEW_VIP, "port": 80, "default_pool": "app"}
    )


@dataclass
class Holders:
    """Which hosts held each VIP, sample by sample (monotonic time, VIP -> hosts)."""

    samples: list[tuple[float, dict[str, set[str]]]] = field(default_factory=list)

    def hosts_of(self, vip: str) -> list[set[str]]:
        return [held.get(vip, set()) for _, held in self.samples]


class HolderSampler:
    """Records the VIPs each host holds until stopped, bounded in samples."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.record = Holders()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HolderSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.record.samples) < MAX_SAMPLES:
            held: dict[str, set[str]] = {}
            for host in HOSTS:
                for vip in self.lab.vips_on(host):
                    held.setdefault(vip, set()).add(host)
            self.record.samples.append((time.monotonic(), held))
            self._stop.wait(SAMPLE_INTERVAL_S)


@dataclass
class VipAdded:
    holders: Holders
    deploy_ok: bool
    deploy_ended: float
    new_vip_seen_after_s: float | None  # from the end of the deploy, on exactly one host
    probe: dict  # of the existing VIP
    new_vip_probe: dict
    files: dict[str, str]


@pytest.fixture(scope="module")
def vip_added(lab_session: None) -> Iterator[VipAdded]:
    lab = _lab()
    yield add_a_vip(lab, first_only_adverts)
    # Leave the lab pair as the other modules expect it: one VIP, no web2.
    deploy(lab, lab_model())


def _lab() -> Lab:
    lab = lab_api.current()
    if lab is None or lab.health():
        lab = lab_api.up(lb_hosts=2, backends=3)
    return lab


def add_a_vip(lab: Lab, *changes: Change) -> VipAdded:
    """Deploy the lab pair with one VIP, then add a second one while recording who holds what."""
    result = deploy(lab, lab_model(*changes))
    assert result.ok, statuses(result)
    assert wait_for(lambda: lab.vips_on("lb1") == [VIP] and lab.vips_on("lb2") == [], 15)
    probes = [NamespaceProbe(lab.client_ns, url, interval=0.02) for url in (VIP_URL, NEW_VIP_URL)]
    runs = [p.start(max_seconds=PROBE_LIMIT_S) for p in probes]
    try:
        with HolderSampler(lab) as sampler:
            result = deploy(lab, lab_model(*changes, second_vip))
            ended = time.monotonic()
            one_host = wait_for(lambda: _on_one_host(lab, NEW_VIP), NEW_VIP_BOUND_S + 5)
            seen = time.monotonic() - ended if one_host else None
            wait_for(lambda: False, 1.0)  # a second more of samples after it settled
    finally:
        reports = [run.stop() for run in runs]  # each probe is our child: stopped by its pid
    files = {h: live_file(lab, h, "/etc/keepalived/keepalived.conf") for h in HOSTS}
    return VipAdded(sampler.record, result.ok, ended, seen, *reports, files)


def _on_one_host(lab: Lab, vip: str) -> bool:
    return sum(vip in lab.vips_on(h) for h in HOSTS) == 1


def test_the_deploy_adding_a_vip_succeeds(
    vip_added: VipAdded, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vip_added.deploy_ok
    samples = vip_added.holders.samples
    assert len(samples) > 20  # the record covers the deploy
    with capsys.disabled():
        probe, seen = vip_added.probe, vip_added.new_vip_seen_after_s or float("nan")
        print(
            f"\n  adding a VIP (advertised_vips: first): {len(samples)} samples over "
            f"{samples[-1][0] - samples[0][0]:.1f} s, {VIP} on lb1 only in all; "
            f"{probe['failed']}/{probe['requests']} probes of it failed; {NEW_VIP} on lb1 "
            f"{seen:.2f} s after the deploy ended"
        )


def test_the_existing_vip_never_leaves_its_master(vip_added: VipAdded) -> None:
    assert {frozenset(h) for h in vip_added.holders.hosts_of(VIP)} == {frozenset({"lb1"})}


def test_the_new_vip_is_never_on_both_hosts(vip_added: VipAdded) -> None:
    assert all(len(h) <= 1 for h in vip_added.holders.hosts_of(NEW_VIP))


def test_the_new_vip_is_held_by_the_master_within_the_bound(vip_added: VipAdded) -> None:
    assert vip_added.new_vip_seen_after_s is not None
    assert vip_added.new_vip_seen_after_s <= NEW_VIP_BOUND_S
    assert vip_added.holders.hosts_of(NEW_VIP)[-1] == {"lb1"}


def test_requests_to_the_existing_vip_never_fail(vip_added: VipAdded) -> None:
    report = vip_added.probe
    assert report["ok"] > 0 and report["failed"] == 0, report


def test_the_new_vip_serves_once_it_is_up(vip_added: VipAdded) -> None:
    assert vip_added.new_vip_probe["ok"] > 0, vip_added.new_vip_probe


def test_the_adverts_still_carry_only_the_first_vip(vip_added: VipAdded) -> None:
    for text in vip_added.files.values():
        lines = [line.strip() for line in text.split("\n")]
        at = lines.index("virtual_ipaddress {")
        assert lines[at + 1 : at + 6] == [
            f"{VIP}/24 dev eth0",
            "}",
            "virtual_ipaddress_excluded {",
            f"{NEW_VIP}/24 dev eth0",
            "}",
        ]


# The control experiment: the same deploy with every VIP in the adverts (lbctl's default).
# It shows the record catches a split brain; it costs two more deploys, so it runs only
# when asked: LBCTL_LAB_CONTROLS=1.
@pytest.mark.skipif(
    os.environ.get("LBCTL_LAB_CONTROLS") != "1", reason="control experiment: LBCTL_LAB_CONTROLS=1"
)
def test_without_first_only_adverts_both_hosts_hold_the_existing_vip(
    vip_added: VipAdded, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = _lab()
    try:
        control = add_a_vip(lab)
    finally:
        deploy(lab, lab_model())
    both = [
        t
        for (t, _), hosts in zip(
            control.holders.samples, control.holders.hosts_of(VIP), strict=True
        )
        if len(hosts) == 2
    ]
    with capsys.disabled():
        print(
            f"\n  adding a VIP (every VIP advertised): {VIP} on both hosts for "
            f"{(both[-1] - both[0]) if both else 0:.1f} s; "
            f"{control.probe['failed']}/{control.probe['requests']} probes of it failed"
        )
    assert both, "no split brain seen: the control no longer reproduces the problem"
