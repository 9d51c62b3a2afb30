"""The install + reload modules: changed only when they act, check mode touches nothing.

They run here in-process as Ansible runs them on a host, against files in a temporary
folder, a fake HAProxy runtime socket and this process standing in for keepalived.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from .host_modules import host_module

haproxy_apply = host_module("lbctl_haproxy_apply")
keepalived_apply = host_module("lbctl_keepalived_apply")


def _run(module: ModuleType, args: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict:
    """Return the module's result, run as Ansible runs it (`_ansible_check_mode`: check mode)."""
    capsys.readouterr()
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("module", [haproxy_apply, keepalived_apply], ids=lambda m: m.__name__)
def test_the_documented_options_are_the_options_taken(module: ModuleType) -> None:
    documented = yaml.safe_load(module.DOCUMENTATION)["options"]  # valid YAML, as ansible-doc needs
    assert documented == module.ARGUMENT_SPEC  # same names, order, types and defaults
    assert list(documented) == list(module.ARGUMENT_SPEC)


# --- keepalived ------------------------------------------------------------------------------


@pytest.fixture
def keepalived(tmp_path: Path) -> dict[str, Any]:
    """Arguments for a keepalived that runs (this process) the live file `config_path`."""
    (tmp_path / "keepalived.conf").write_text("live\n")
    (tmp_path / "new.conf").write_text("live\n")
    (tmp_path / "keepalived.pid").write_text(f"{os.getpid()}\n")
    return {
        "sources": [str(tmp_path / "new.conf")],
        "pending": str(tmp_path / "pending"),
        "config_path": str(tmp_path / "keepalived.conf"),
        # Either command running would fail the module: neither may run here.
        "reload_command": "false",
        "start_command": "false",
        "pid_file": str(tmp_path / "keepalived.pid"),
        "reload_file": str(tmp_path / "reload"),
        "state_dir": str(tmp_path / "vrrp"),
    }


def test_keepalived_already_running_the_file_is_left_alone(keepalived, capsys) -> None:
    result = _run(keepalived_apply, keepalived, capsys)
    assert (result["changed"], result["why"]) == (False, "")


@pytest.mark.parametrize(
    ("case", "why"),
    [("differs", "differs"), ("pending", "reload pending"), ("stopped", "not running")],
)
def test_keepalived_check_mode_says_why_it_would_act_and_touches_nothing(
    keepalived, capsys, tmp_path: Path, case: str, why: str
) -> None:
    if case == "differs":
        (tmp_path / "new.conf").write_text("new\n")
    elif case == "pending":
        Path(keepalived["pending"]).write_text("old\n")
    else:
        Path(keepalived["pid_file"]).unlink()
    before = sorted(p.name for p in tmp_path.iterdir())

    result = _run(keepalived_apply, {**keepalived, "_ansible_check_mode": True}, capsys)

    assert (result["changed"], result["why"]) == (True, why)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no marker, no reload file
    assert (tmp_path / "keepalived.conf").read_text() == "live\n"


# --- haproxy ---------------------------------------------------------------------------------


@pytest.fixture
def runtime_socket(tmp_path: Path) -> Iterator[str]:
    """A runtime API socket answering `show info` like a running HAProxy worker (pid 42)."""
    path = str(tmp_path / "admin.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    server.settimeout(0.05)  # accept() wakes up to see the test is over
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(1024)
                connection.sendall(b"Name: HAProxy\nPid: 42\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path
    done.set()
    thread.join(timeout=5)
    server.close()


@pytest.fixture
def haproxy(tmp_path: Path, runtime_socket: str) -> dict[str, Any]:
    """Arguments for an HAProxy that runs (answers on its socket) the live file."""
    (tmp_path / "haproxy.cfg").write_text("live\n")
    (tmp_path / "new.cfg").write_text("live\n")
    return {
        "source": str(tmp_path / "new.cfg"),
        "pending": str(tmp_path / "pending"),
        "config_path": str(tmp_path / "haproxy.cfg"),
        "socket": runtime_socket,
        "state_file": str(tmp_path / "server-state"),
        "reload_command": "false",
        "start_command": "false",
        "monitor_url": "http://127.0.0.1:9/healthz",
    }


def test_haproxy_already_running_the_file_is_left_alone(haproxy, capsys) -> None:
    result = _run(haproxy_apply, haproxy, capsys)
    assert (result["changed"], result["why"]) == (False, "")


@pytest.mark.parametrize(
    ("case", "why"),
    [
        ("differs", "differs"),
        ("pending", "reload pending"),
        ("stopped", "not running"),
        ("runtime", "runtime commands"),
    ],
)
def test_haproxy_check_mode_says_why_it_would_act_and_touches_nothing(
    haproxy, capsys, tmp_path: Path, case: str, why: str
) -> None:
    args = {**haproxy, "_ansible_check_mode": True}
    if case == "differs":
        (tmp_path / "new.cfg").write_text("new\n")
    elif case == "pending":
        Path(haproxy["pending"]).write_text("old\n")
    elif case == "stopped":
        args["socket"] = str(tmp_path / "nobody.sock")
    else:
        args["runtime_commands"] = ["set server app/app1 weight 7"]
    before = sorted(p.name for p in tmp_path.iterdir())

    result = _run(haproxy_apply, args, capsys)

    assert (result["changed"], result["why"]) == (True, why)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no state file, no marker
    assert (tmp_path / "haproxy.cfg").read_text() == "live\n"


def test_a_failing_step_still_reports_it(haproxy, capsys, tmp_path: Path) -> None:
    (tmp_path / "new.cfg").write_text("new\n")
    result = _run(haproxy_apply, haproxy, capsys)  # the reload command is `false`
    assert result["failed"] and result["lbctl_step"] == "reload: haproxy"


def _keepalived_reloading(keepalived: dict[str, Any], tmp_path: Path, live: str, new: str) -> dict:
    """Arguments whose reload command does what keepalived does: removes the reload file."""
    (tmp_path / "keepalived.conf").write_text(live)
    (tmp_path / "new.conf").write_text(new)
    return {
        **keepalived,
        "reload_command": f"rm -f {keepalived['reload_file']}",
        "instances": ["VI_EDGE", "VI_NEW"],
        "timeout": 0.3,
    }


def test_keepalived_waits_for_a_state_only_from_instances_it_did_not_run(
    keepalived, capsys, tmp_path: Path
) -> None:
    """A hand-written pair's instance (no lbctl hook yet) keeps its state over the reload."""
    args = _keepalived_reloading(
        keepalived,
        tmp_path,
        "vrrp_instance VI_EDGE {\n}\n",
        "vrrp_instance VI_EDGE {\n}\nvrrp_instance VI_NEW {\n}\n",
    )
    result = _run(keepalived_apply, args, capsys)
    assert (
        result["failed"]
        and result["lbctl_step"] == "verify: keepalived runs every new VRRP instance"
    )
    assert result["msg"].endswith("no state reported for VI_NEW")  # not VI_EDGE

    (tmp_path / "vrrp").mkdir()
    (tmp_path / "vrrp" / "VI_NEW").write_text("BACKUP 0 100\n")
    (tmp_path / "keepalived.conf").write_text("vrrp_instance VI_EDGE {\n}\n")
    Path(keepalived["pending"]).unlink(missing_ok=True)
    assert _run(keepalived_apply, args, capsys)["changed"] is True
