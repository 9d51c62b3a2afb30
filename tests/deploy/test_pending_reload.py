"""A deploy cut short between install and reload: the next one reloads (host modules, no lab).

The lab proves it end to end (tests/lab/test_faults.py); these pin the host-side rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.deploy import DeployResult, HostResult
from controlplane.deploy.events import from_runner_event
from tests.support import EXAMPLE

from ..test_cli import lbctl
from .host_modules import host_module, lbctl_host

host = lbctl_host()
stage = host_module("lbctl_stage")


def test_an_install_leaves_a_marker_holding_what_runs_until_it_ends(tmp_path: Path) -> None:
    live, marker = tmp_path / "haproxy.cfg", tmp_path / "pending" / "haproxy.cfg"
    live.write_text("old\n")
    host.begin_install(str(live), str(marker))
    live.write_text("new\n")
    host.begin_install(str(live), str(marker))  # cut short before: the old still runs
    assert marker.read_text() == "old\n"
    host.end_install(str(marker))
    assert not marker.exists()


def test_an_identical_file_is_not_written_again(tmp_path: Path) -> None:
    source, target = tmp_path / "new", tmp_path / "live"
    source.write_text("same\n")
    target.write_text("same\n")
    assert host.atomic_copy(str(source), str(target)) is False
    source.write_text("other\n")
    assert host.atomic_copy(str(source), str(target)) is True
    assert target.read_text() == "other\n"


@pytest.mark.parametrize(
    ("live", "pending", "running", "why"),
    [
        (b"new", None, True, ""),
        (b"old", None, True, "differs"),
        (None, None, False, "differs"),
        (b"new", b"old", True, "reload pending"),
        (b"new", None, False, "not running"),
    ],
)
def test_stage_verdict(live, pending, running, why) -> None:
    assert stage.verdict(live, b"new", pending, running) == why


def test_after_an_interrupted_install_the_backup_is_what_runs(tmp_path: Path) -> None:
    live, backup = tmp_path / "live", tmp_path / "backup"
    live.write_text("new\n")
    assert stage.back_up(str(live), b"old\n", str(backup)) is True
    assert backup.read_text() == "old\n"
    assert stage.back_up(str(live), b"", str(tmp_path / "none")) is False  # nothing ran before


def test_the_verdict_says_why_an_identical_file_is_reloaded() -> None:
    verdict = {"haproxy": "reload pending", "keepalived": "not running"}
    res = {"ansible_facts": {"lbctl_verdict": verdict}}
    event = from_runner_event({"event": "runner_on_ok", "event_data": {"host": "lb1", "res": res}})
    assert event is not None
    assert (
        event.message == "will change: haproxy.cfg (reload pending), keepalived.conf (not running)"
    )


def test_a_connection_lost_mid_step_is_not_called_nothing_changed(monkeypatch) -> None:
    lost = DeployResult(
        hosts=[
            HostResult("lb2", "unreachable", 4.2, "install + reload: haproxy", "Data not sent"),
            HostResult("lb1", "not run"),
        ]
    )
    monkeypatch.setattr("controlplane.usecases.files.deploy_file", lambda *args, **kwargs: lost)
    code, out, err = lbctl("deploy", str(EXAMPLE), "-i", str(EXAMPLE))
    assert code == 1
    assert "step: install + reload: haproxy: Data not sent" in out
    assert "the connection to lb2 was lost during 'install + reload: haproxy'" in err
    assert "nothing was changed" not in err
