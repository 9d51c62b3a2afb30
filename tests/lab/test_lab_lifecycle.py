"""up() and down() leave nothing behind, even after a crash."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from controlplane import lab as lab_api
from controlplane.lab import Lab, netns
from controlplane.lab.process import is_running, read_pid_file
from controlplane.lab.topology import ROOT_LINK

pytestmark = pytest.mark.lab


def lab_pids(lab: Lab) -> set[int]:
    """Return every pid the lab knows: sshd, backends, daemons, anything in its namespaces."""
    pids = {host.sshd_pid for host in lab.lb_hosts}
    pids |= {backend.pid for backend in lab.backends if backend.pid}
    pids |= {pid for host in lab.lb_hosts if (pid := lab.haproxy_master_pid(host.name))}
    inodes = {netns.namespace_inode(ns) for ns in netns.namespaces() if ns.startswith("lbctl-")}
    pids |= set(netns.pids_in_namespaces({inode for inode in inodes if inode}))
    return pids


def lab_namespaces() -> set[str]:
    return {ns for ns in netns.namespaces() if ns.startswith("lbctl-")}


def start_ssh_control_master(lab: Lab, host: str) -> int:
    """Start an SSH ControlPersist master like Ansible leaves behind; return its pid."""
    control = f"-oControlPath={lab.dir}/cm-{host}"
    argv = lab.ssh_argv(host)
    subprocess.run(
        [*argv[:-1], "-oControlMaster=yes", "-oControlPersist=60", control, "-fN", argv[-1]],
        check=True,
        timeout=10,
        stdin=subprocess.DEVNULL,
    )
    check = subprocess.run(
        [*argv[:-1], control, "-O", "check", argv[-1]],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    # ssh answers "Master running (pid=1234)".
    return int(check.stderr.split("pid=")[1].split(")")[0])


def test_up_after_a_crash_cleans_up_the_leftovers_and_works(lab: Lab) -> None:
    old_pids = lab_pids(lab)
    relaunched = lab_api.up(lb_hosts=2, backends=3)
    assert not any(is_running(pid) for pid in old_pids)
    assert relaunched.health() == []
    assert relaunched.ssh("lb1", "hostname").stdout == "lb1\n"
    assert {h.sshd_pid for h in relaunched.lb_hosts}.isdisjoint(old_pids)


def test_down_leaves_no_namespaces_links_or_processes(lab: Lab) -> None:
    ssh_master = start_ssh_control_master(lab, "lb1")
    pids = lab_pids(lab) | {ssh_master}
    pid_files = [host.paths.haproxy_pid_file for host in lab.lb_hosts]
    assert all(read_pid_file(path) in pids for path in pid_files)
    lab_api.down()
    assert lab_namespaces() == set()
    assert not netns.link_exists(None, ROOT_LINK)
    assert [pid for pid in pids if is_running(pid)] == []
    assert lab_api.current() is None
    lab_api.down()  # a second down is a no-op


def test_another_process_cannot_tear_down_the_lab_this_session_holds(lab: Lab) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from controlplane.lab import down; down()"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0
    assert f"in use by pid {os.getpid()}" in done.stderr
    assert lab.health() == []
