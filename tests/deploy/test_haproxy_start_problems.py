"""What haproxy -c passes and a start refuses, found before the install; a socketless HAProxy.

The Ansible modules run in-process as on a host, against a real HAProxy 2.6 on loopback.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args

from .host_modules import host_module, lbctl_host

check_module = host_module("lbctl_haproxy_check")
apply_module = host_module("lbctl_haproxy_apply")
stage_module = host_module("lbctl_stage")
host = lbctl_host()


def _run(module: ModuleType, args: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(port: int, maxconn: int = 100, admin_socket: str = "", bind: str = "") -> str:
    stats = f"  stats socket {admin_socket} mode 600 level admin\n" if admin_socket else ""
    return (
        f"global\n  maxconn {maxconn}\n{stats}"
        "defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\n"
        f"frontend web\n  bind {bind or f'127.0.0.1:{port}'}\n"
        "  http-request return status 200\n"
    )


def test_a_maxconn_beyond_the_fd_limit_is_refused_before_the_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard > 10_000_000:
        pytest.skip("no finite file-descriptor limit to exceed here")
    maxconn = hard // 2 + 1000
    (tmp_path / "haproxy.cfg").write_text(_config(_free_port(), maxconn=maxconn))

    result = _run(check_module, {"source": str(tmp_path / "haproxy.cfg")}, capsys)

    assert result["failed"] and result["rc"] == 1
    assert (
        f"maxconn {maxconn} needs about {2 * maxconn + 1 + 33} file descriptors"
        in (result["stderr"])
    )
    assert f"hard limit is {hard}" in result["stderr"]
    assert "[ALERT]" in result["stderr"]  # reported like haproxy -c's own alerts


def test_a_maxconn_within_the_limit_passes(tmp_path: Path, capsys) -> None:
    (tmp_path / "haproxy.cfg").write_text(_config(_free_port(), maxconn=100))
    result = _run(check_module, {"source": str(tmp_path / "haproxy.cfg")}, capsys)
    assert not result.get("failed"), result


def test_a_bind_on_an_address_the_host_lacks_is_refused_without_nonlocal_bind(
    tmp_path: Path, capsys
) -> None:
    if Path("/proc/sys/net/ipv4/ip_nonlocal_bind").read_text().strip() != "0":
        pytest.skip("this network namespace allows non-local binds")
    (tmp_path / "haproxy.cfg").write_text(_config(0, bind="198.18.250.1:8443"))

    result = _run(check_module, {"source": str(tmp_path / "haproxy.cfg")}, capsys)

    assert result["failed"]
    assert "`bind 198.18.250.1:8443`: the host does not have 198.18.250.1" in result["stderr"]
    assert "ip_nonlocal_bind" in result["stderr"]


@pytest.fixture
def socketless(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A running HAProxy whose config has no admin socket (not written by lbctl)."""
    port = _free_port()
    cfg, pid_file = tmp_path / "haproxy.cfg", tmp_path / "haproxy.pid"
    cfg.write_text(_config(port))
    subprocess.run(["haproxy", "-W", "-D", "-p", str(pid_file), "-f", str(cfg)], check=True)
    # The pid file is written as the master daemonizes: wait for it (bounded).
    assert host.wait_until(lambda: pid_file.exists() and pid_file.read_text().split(), 5)
    master = int(pid_file.read_text().split()[0])
    sock = str(tmp_path / "admin.sock")
    (tmp_path / "new.cfg").write_text(_config(port, admin_socket=sock))
    try:
        yield {
            "source": str(tmp_path / "new.cfg"),
            "pending": str(tmp_path / "pending"),
            "config_path": str(cfg),
            "socket": sock,
            "state_file": str(tmp_path / "server-state"),
            "reload_command": f"kill -USR2 {master}",
            "start_command": "false",  # starting would fail this test
            "monitor_url": f"http://127.0.0.1:{port}/",
            "pid_file": str(pid_file),
        }
    finally:
        subprocess.run(["kill", str(master)], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="HAProxy's master runs as this user: fine, but CI")
def test_a_running_haproxy_without_an_admin_socket_is_reloaded_not_started(
    socketless: dict[str, Any], tmp_path: Path, capsys
) -> None:
    would = _run(apply_module, {**socketless, "_ansible_check_mode": True}, capsys)
    assert (would["changed"], would["why"]) == (True, "no admin socket")

    result = _run(apply_module, socketless, capsys)

    assert not result.get("failed"), result
    assert result["path"] == "reload" and result["worker_before"] is None
    assert result["worker_after"] == host.worker_of(socketless["socket"])
    # The stage step no longer calls it "not running": the verdict is that the file differs.
    nobody = str(tmp_path / "none.sock")
    assert stage_module.running(
        "haproxy", {"haproxy_socket": nobody, "haproxy_pid_file": socketless["pid_file"]}
    )


@pytest.fixture
def running(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A running HAProxy with its admin socket, as lbctl leaves one."""
    port = _free_port()
    cfg, pid_file, sock = tmp_path / "haproxy.cfg", tmp_path / "haproxy.pid", tmp_path / "a.sock"
    cfg.write_text(_config(port, admin_socket=str(sock)))
    subprocess.run(["haproxy", "-W", "-D", "-p", str(pid_file), "-f", str(cfg)], check=True)
    assert host.wait_until(lambda: host.worker_of(str(sock)), 5)
    master = int(pid_file.read_text().split()[0])
    try:
        yield {
            "pending": str(tmp_path / "pending"),
            "config_path": str(cfg),
            "socket": str(sock),
            "state_file": str(tmp_path / "server-state"),
            "reload_command": f"kill -USR2 {master}",  # says nothing, like systemctl reload
            "start_command": "false",
            "monitor_url": f"http://127.0.0.1:{port}/",
            "pid_file": str(pid_file),
            "timeout": 2.0,
            "_port": port,
        }
    finally:
        subprocess.run(["kill", str(master)], check=False)


def test_a_reload_that_brings_no_new_worker_says_why(
    running: dict[str, Any], tmp_path: Path, capsys
) -> None:
    if Path("/proc/sys/net/ipv4/ip_nonlocal_bind").read_text().strip() != "0":
        pytest.skip("this network namespace allows non-local binds")
    port = running.pop("_port")
    worker = host.worker_of(running["socket"])
    new = tmp_path / "new.cfg"
    # haproxy -c passes it; the new worker cannot bind an address the host does not have.
    new.write_text(
        _config(port, admin_socket=running["socket"]) + "frontend extra\n  bind 198.18.250.1:9\n"
    )
    assert subprocess.run(["haproxy", "-c", "-q", "-f", str(new)]).returncode == 0

    result = _run(apply_module, {**running, "source": str(new)}, capsys)

    assert (
        result["failed"] and result["lbctl_step"] == "verify: a new worker serves the runtime API"
    )
    assert "no new worker within 2s" in result["msg"]
    assert "`bind 198.18.250.1:9`: the host does not have 198.18.250.1" in result["msg"]
    assert host.worker_of(running["socket"]) == worker  # the old worker still serves


@pytest.mark.skipif(os.geteuid() != 0, reason="HAProxy's master runs as this user: fine, but CI")
def test_a_config_without_the_admin_socket_is_proven_by_the_masters_new_worker(
    running: dict[str, Any], tmp_path: Path, capsys
) -> None:
    # The rollback of a first deploy restores the operator's file: no socket, no monitor.
    port = running.pop("_port")
    worker = host.worker_of(running["socket"])
    restored = tmp_path / "operators.cfg"
    restored.write_text(_config(port))

    result = _run(apply_module, {**running, "source": str(restored), "monitor_url": ""}, capsys)

    assert not result.get("failed"), result
    assert result["path"] == "reload" and result["worker_before"] == worker
    assert result["worker_after"] not in (None, worker)
    assert result["worker_after"] == host.newest_worker(running["pid_file"])


def test_a_monitor_is_verified_after_a_rollback_only_where_the_restored_file_serves_it(
    tmp_path: Path,
) -> None:
    deploy_host = host_module("lbctl_deploy_host")
    url = "http://127.0.0.1:8404/healthz"
    lbctls, operators = tmp_path / "lbctl.cfg", tmp_path / "operators.cfg"
    lbctls.write_text("listen monitor\n    bind 127.0.0.1:8404\n    monitor-uri /healthz\n")
    operators.write_text(_config(8080))
    assert deploy_host.monitor_to_verify(url, str(lbctls)) == url
    assert deploy_host.monitor_to_verify(url, str(operators)) == ""
    assert deploy_host.monitor_to_verify(url, str(tmp_path / "missing.cfg")) == ""
