"""The LB hosts look like separate fresh Debian machines with HAProxy installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.lab import Lab

pytestmark = pytest.mark.lab


@pytest.fixture
def lab(fresh_lab: Lab) -> Lab:
    """These tests read the hosts as the lab builds them: a lab no deploy has touched yet
    (modules before this one may leave their deploys on the shared lab)."""
    return fresh_lab


def master_cli(lab: Lab, host: str, command: str) -> str:
    """Return the answer of HAProxy's master CLI on ``host`` to ``command``."""
    script = f"echo '{command}' | socat -t 2 - UNIX-CONNECT:/run/haproxy-master.sock"
    return lab.exec_on(host, ["sh", "-c", script]).stdout


def current_workers(lab: Lab, host: str) -> list[int]:
    """Return the pids in the "# workers" section of ``show proc`` on ``host``."""
    workers, section = [], ""
    for line in master_cli(lab, host, "show proc").splitlines():
        if line.startswith("#"):
            section = line
        elif section == "# workers" and line.split()[1:2] == ["worker"]:
            workers.append(int(line.split()[0]))
    return workers


def test_each_lb_host_has_a_private_etc_haproxy(lab: Lab) -> None:
    lab.exec_on("lb1", ["sh", "-c", "echo lb1 > /etc/haproxy/marker"])
    try:
        assert lab.exec_on("lb1", ["cat", "/etc/haproxy/marker"]).stdout == "lb1\n"
        assert lab.exec_on("lb2", ["test", "-e", "/etc/haproxy/marker"], check=False).returncode
        assert not Path("/etc/haproxy/marker").exists()
        assert (lab.host("lb1").dir / "etc-haproxy" / "marker").exists()
    finally:
        lab.exec_on("lb1", ["rm", "-f", "/etc/haproxy/marker"])


def test_each_lb_host_has_a_private_run(lab: Lab) -> None:
    lab.exec_on("lb2", ["touch", "/run/lbctl-marker"])
    try:
        assert lab.exec_on("lb1", ["test", "-e", "/run/lbctl-marker"], check=False).returncode
        assert lab.exec_on("lb2", ["test", "-e", "/run/lbctl-marker"], check=False).returncode == 0
    finally:
        lab.exec_on("lb2", ["rm", "-f", "/run/lbctl-marker"])


def test_fresh_host_has_empty_etc_keepalived_and_no_keepalived(lab: Lab) -> None:
    for host in lab.lb_hosts:
        assert lab.exec_on(host.name, ["ls", "-A", "/etc/keepalived"]).stdout == ""
        assert lab.keepalived_pid(host.name) is None


@pytest.mark.parametrize("host", ["lb1", "lb2"])
def test_ssh_with_the_lab_key_shows_the_hosts_own_files(lab: Lab, host: str) -> None:
    seen = lab.ssh(host, "hostname; cat /etc/haproxy/haproxy.cfg; ls /run").stdout
    expected_cfg = (lab.host(host).dir / "etc-haproxy" / "haproxy.cfg").read_text()
    assert seen.startswith(f"{host}\n{expected_cfg}")
    assert "haproxy-master.sock" in seen.split(expected_cfg)[1].split()


def test_haproxy_runs_in_master_worker_mode_on_each_host(lab: Lab) -> None:
    for host in lab.lb_hosts:
        master = lab.haproxy_master_pid(host.name)
        assert master is not None
        assert f"{master} " in master_cli(lab, host.name, "show proc")
        assert len(current_workers(lab, host.name)) == 1


def test_haproxy_reload_starts_a_new_worker_under_the_same_master(lab: Lab) -> None:
    master_before = lab.haproxy_master_pid("lb1")
    workers_before = current_workers(lab, "lb1")
    lab.exec_on("lb1", [str(lab.host("lb1").haproxy_reload)])
    assert lab.haproxy_master_pid("lb1") == master_before
    workers_after = current_workers(lab, "lb1")
    assert workers_after and not set(workers_after) & set(workers_before)


def test_haproxy_reload_refuses_an_invalid_config_and_keeps_the_worker(lab: Lab) -> None:
    config = lab.host("lb2").dir / "etc-haproxy" / "haproxy.cfg"
    good = config.read_text()
    workers_before = current_workers(lab, "lb2")
    config.write_text(good + "    no-such-keyword\n")
    try:
        done = lab.exec_on("lb2", [str(lab.host("lb2").haproxy_reload)], check=False)
    finally:
        config.write_text(good)
    assert done.returncode != 0
    assert "no-such-keyword" in done.stderr and "nothing was reloaded" in done.stderr
    assert current_workers(lab, "lb2") == workers_before


def test_keepalived_reload_refuses_to_start_without_a_config(lab: Lab) -> None:
    done = lab.exec_on("lb1", [str(lab.host("lb1").keepalived_reload)], check=False)
    assert done.returncode != 0
    assert "keepalived.conf does not exist" in done.stderr


def test_inventory_lists_lb_hosts_with_ssh_settings_and_reload_commands(lab: Lab) -> None:
    yaml = pytest.importorskip("yaml")
    inventory = yaml.safe_load(lab.inventory_path.read_text())
    hosts = inventory["all"]["children"]["lb"]["hosts"]
    assert sorted(hosts) == ["lb1", "lb2"]
    lb1 = hosts["lb1"]
    assert lb1["ansible_host"] == "198.18.0.10"
    assert lb1["ansible_user"] == "root"
    assert lb1["ansible_ssh_private_key_file"] == str(lab.ssh_key)
    assert lb1["haproxy_reload_command"] == str(lab.host("lb1").haproxy_reload)
    assert lb1["keepalived_reload_command"] == str(lab.host("lb1").keepalived_reload)
    assert "haproxy_config_path" not in lb1
