"""Removing a lab from its state file: processes by pid, then namespaces and the root link."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path

from . import netns
from .lbhost import HostPaths
from .process import ProcessRef, read_pid_file, ref_for, terminate
from .state import StateFile
from .topology import LAB_NETWORK, SSH_PORT, lb_name

Progress = Callable[[str], None]


def _host_daemons(directory: Path, lb_hosts: int, ours: set[int]) -> list[ProcessRef]:
    """Return the HAProxy masters and keepalived parents named by the hosts' pid files."""
    refs = []
    for index in range(1, lb_hosts + 1):
        paths = HostPaths(directory / "hosts" / lb_name(index))
        for role, pid_file in (
            ("haproxy", paths.haproxy_pid_file),
            ("keepalived", paths.keepalived_pid_file),
        ):
            pid = read_pid_file(pid_file)
            # Only a pid inside our namespaces: after a crash the file may name a reused pid.
            ref = ref_for(pid, f"{role}:{lb_name(index)}") if pid in ours else None
            if ref:
                refs.append(ref)
    return refs


def lab_ssh_clients() -> list[ProcessRef]:
    """Return processes here (root namespace) holding SSH connections to lab hosts.

    Ansible's ControlPersist masters outlive a deploy; they are found by their sockets, not
    by name.
    """
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_hex, port_hex = fields[2].split(":")
        # /proc/net/tcp prints the IPv4 address as a little-endian 32-bit hex number.
        remote = ipaddress.IPv4Address(bytes.fromhex(remote_hex)[::-1])
        if remote in LAB_NETWORK and int(port_hex, 16) == SSH_PORT:
            inodes.add(fields[9])
    if not inodes:
        return []
    targets = {f"socket:[{inode}]" for inode in inodes}
    refs = []
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        if pid == os.getpid():
            continue
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if links & targets and (ref := ref_for(pid, "ssh client")):
            refs.append(ref)
    return refs


def teardown(directory: Path, progress: Progress) -> None:
    """Stop every process and remove every namespace and link the state file records."""
    state_file = StateFile.load(directory)
    if state_file is None:
        return
    state = state_file.state
    inodes = {inode for ns in state.namespaces if (inode := netns.namespace_inode(ns))}
    in_lab = set(netns.pids_in_namespaces(inodes)) - {os.getpid()}
    refs: dict[int, ProcessRef] = {}
    candidates = [
        *_host_daemons(directory, state.lb_hosts, in_lab),
        *state.processes.values(),
        *(ref for pid in in_lab if (ref := ref_for(pid, "in lab namespace"))),
        *lab_ssh_clients(),
    ]
    for ref in candidates:
        refs.setdefault(ref.pid, ref)
    if refs:
        progress(f"stopping {len(refs)} lab processes")
    survivors = terminate(refs.values())
    for ref in survivors:
        progress(f"warning: {ref.role} pid {ref.pid} survived SIGKILL")
    for namespace in reversed(state.namespaces):
        netns.delete_namespace(namespace)
    for link in state.root_links:
        netns.delete_link(None, link)
    progress(f"removed {len(state.namespaces)} namespaces and {len(state.root_links)} root link")
    state_file.remove()
