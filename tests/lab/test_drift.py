"""Drift in the lab: clean after a deploy; a hand-edited file and a hand-set MAINT are listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from controlplane.cli import main
from controlplane.lab import Lab

from .deploying import LAB_MODEL, VIP, deploy, fast_vrrp, runtime, statuses, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]


def lab_model_file(tmp_path: Path) -> Path:
    data = yaml.safe_load(LAB_MODEL.read_text())
    fast_vrrp(data)
    path = tmp_path / "lb.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def drift(lab: Lab, model_file: Path) -> tuple[int, dict]:
    args = ["drift", str(model_file), "-i", str(lab.inventory_path), "--json"]
    result = CliRunner().invoke(main, args)
    return result.exit_code, json.loads(result.stdout)


def test_drift_lists_a_hand_edited_file_and_a_server_put_in_maint_by_hand(
    lab: Lab, tmp_path: Path
) -> None:
    from controlplane.model import load_model_file

    model_file = lab_model_file(tmp_path)
    result = deploy(lab, load_model_file(model_file).model)
    assert all(s in ("changed", "unchanged") for _, s in statuses(result)), result
    assert wait_for(lambda: lab.vips_on("lb1") == [VIP], 10)
    code, report = drift(lab, model_file)
    assert (code, report["differences"]) == (0, []), report

    try:
        lab.exec_on("lb2", ["sed", "-i", "$a # tuned by hand", "/etc/haproxy/haproxy.cfg"])
        runtime(lab, "lb1", "set server app/app1 state maint")
        code, report = drift(lab, model_file)
        found = {(d["host"], d["kind"], d["subject"]) for d in report["differences"]}
        assert code == 1
        assert found == {
            ("lb2", "file changed", "haproxy.cfg"),
            ("lb1", "server state", "app/app1"),
        }, report
        edit = next(d for d in report["differences"] if d["kind"] == "file changed")
        assert "-# tuned by hand" in edit["diff"]
    finally:
        runtime(lab, "lb1", "set server app/app1 state ready")
        deploy(lab, load_model_file(model_file).model)  # puts the rendered file back
    assert drift(lab, model_file)[0] == 0
