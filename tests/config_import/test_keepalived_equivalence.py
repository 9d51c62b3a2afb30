"""The rendered import's keepalived.conf keeps the original's VRRP behaviour, per host.

Same VIPs, virtual_router_id, interface, priority, advert interval, preemption and
authentication; the original's notify and track scripts still run (lbctl adds its own).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.config_import.keepalived_mapping import Instance, read_host
from controlplane.config_import.keepalived_reader import read_keepalived
from controlplane.config_import.report import Report
from tests.config_import.corpus import CASES, imported_model, prepared
from tests.config_import.equivalence import render_import


def _instances(text: str, host: str) -> list[Instance]:
    nodes = read_keepalived(text.encode(), f"{host}/keepalived.conf", Report())
    return read_host(host, nodes, Report())[0]


def _behaviour(inst: Instance) -> tuple:
    return (
        inst.vrid,
        inst.interface,
        sorted(inst.vips),
        inst.priority,
        inst.advert,
        inst.nopreempt,
        inst.auth,
        inst.src_ip,
        inst.peers,
    )


@pytest.mark.parametrize("case", CASES)
def test_each_host_keeps_its_vrrp_behaviour(case: str, tmp_path: Path) -> None:
    folder = prepared(case, tmp_path / "in")
    model, _ = imported_model(folder, tmp_path / "model", prove=False)
    rendered = render_import(model, tmp_path / "model", "lb1").folder
    for host in ("lb1", "lb2"):
        original = _instances((folder / host / "keepalived.conf").read_text(), host)
        imported = _instances((rendered / host / "keepalived.conf").read_text(), host)
        assert [_behaviour(i) for i in imported] == [_behaviour(i) for i in original], host
        for before, after in zip(original, imported, strict=True):
            assert before.notify.items() <= after.notify.items()
