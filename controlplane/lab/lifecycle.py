"""Bringing the lab up and down: the public entry points behind ``lbctl lab up|down``."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from . import apps, netns
from .errors import LabError
from .inventory import InventoryHost, write_inventory
from .lab import Lab, LabBackend, LabHost
from .lbhost import SFTP_SERVER, SSHD, generate_key, prepare_host, start_sshd
from .process import ProcessRef
from .reservation import ensure_not_held_elsewhere
from .state import LabState, StateFile, locked
from .teardown import teardown
from .topology import (
    BACKEND_PORT,
    BRIDGE,
    BRIDGE_NS,
    CONTROL_ADDRESS,
    HOST_INTERFACE,
    PREFIX_LEN,
    ROOT_LINK,
    SSH_PORT,
    NodePlan,
    TopologyPlan,
    bridge_port_of,
    lab_dir,
    plan,
)

Progress = Callable[[str], None]

REQUIRED_COMMANDS = (
    "ip",
    "nsenter",
    "unshare",
    "setsid",
    "mount",
    "hostname",
    "sysctl",
    "ssh",
    "ssh-keygen",
    "socat",
    "haproxy",
    "keepalived",
)
LB_SYSCTLS = {
    # HAProxy on the BACKUP must bind a VIP it does not hold yet.
    "net.ipv4.ip_nonlocal_bind": "1",
    "net.ipv4.ip_forward": "0",
}
READY_TIMEOUT_S = 15.0


def _quiet(_message: str) -> None:
    pass


def require_root_lab() -> str | None:
    """Return why the lab cannot run here (not root, a command missing), or None if it can."""
    if os.geteuid() != 0:
        return "the namespace lab needs root (network namespaces, bind mounts)"
    missing = [command for command in REQUIRED_COMMANDS if shutil.which(command) is None]
    missing += [path for path in (SSHD, SFTP_SERVER) if not Path(path).exists()]
    if missing:
        return f"the namespace lab needs {', '.join(missing)} (install with apt-get)"
    return None


def up(
    lb_hosts: int = 2,
    backends: int = 3,
    directory: Path | None = None,
    progress: Progress | None = None,
) -> Lab:
    """Return a freshly built lab, after removing whatever a previous lab left behind.

    Raises LabBusyError while another process holds the lab (see ``reserved``).
    """
    reason = require_root_lab()
    if reason:
        raise LabError(reason)
    say = progress or _quiet
    topology = plan(lb_hosts, backends)
    directory = lab_dir(directory).absolute()
    with locked(directory):
        ensure_not_held_elsewhere(directory)
        teardown(directory, say)
        _refuse_foreign_leftovers(topology)
        state = StateFile(directory, LabState(lb_hosts, backends))
        state.save()
        try:
            lab = _build(directory, topology, state, say)
        except BaseException:
            say("up failed: tearing down what was built")
            teardown(directory, say)
            raise
        state.mark_ready()
    return lab


def down(directory: Path | None = None, progress: Progress | None = None) -> None:
    """Stop and remove everything the lab in ``directory`` recorded; fine to call twice.

    Raises LabBusyError while another process holds the lab (see ``reserved``).
    """
    directory = lab_dir(directory).absolute()
    if not directory.exists():
        return
    with locked(directory):
        ensure_not_held_elsewhere(directory)
        teardown(directory, progress or _quiet)


def current(directory: Path | None = None) -> Lab | None:
    """Return the lab recorded in ``directory``, or None when no finished ``up()`` is recorded."""
    directory = lab_dir(directory).absolute()
    state = StateFile.load(directory)
    if state is None or not state.state.ready:
        return None
    return _lab_from(
        directory, plan(state.state.lb_hosts, state.state.backends), state.state.processes
    )


def _refuse_foreign_leftovers(topology: TopologyPlan) -> None:
    # Namespace names are global: a lab in another directory (or by hand) would clash.
    clashing = sorted(netns.namespaces() & {BRIDGE_NS, *(n.namespace for n in topology.nodes)})
    if netns.link_exists(None, ROOT_LINK):
        clashing.append(f"link {ROOT_LINK}")
    if clashing:
        raise LabError(
            f"{', '.join(clashing)} already exist but this lab directory does not record them: "
            f"run down() for the lab directory that made them, or delete them by hand"
        )


def _build(directory: Path, topology: TopologyPlan, state: StateFile, say: Progress) -> Lab:
    started = time.monotonic()
    say(f"network: bridge, {len(topology.nodes)} namespaces, root link {ROOT_LINK}")
    _build_network(topology, state)
    ssh_key = directory / "id_ed25519"
    generate_key(ssh_key, "lbctl-lab")
    say(f"LB hosts: {', '.join(n.name for n in topology.lb_hosts)} (sshd + private mounts)")
    for node in topology.lb_hosts:
        paths = prepare_host(directory / "hosts" / node.name, node, ssh_key.with_suffix(".pub"))
        state.record_process(start_sshd(node, paths))
    say(f"backends: {', '.join(n.name for n in topology.backends) or 'none'}")
    for node in topology.backends:
        state.record_process(apps.start_backend(directory, node))
    deadline = time.monotonic() + READY_TIMEOUT_S
    for node in topology.lb_hosts:
        apps.wait_for_tcp(node.address, SSH_PORT, deadline)
    for node in topology.backends:
        apps.wait_for_http_ok(node.address, BACKEND_PORT, "/healthz", deadline)
    lab = _lab_from(directory, topology, state.state.processes)
    say("haproxy: starting the fresh-host default config in master-worker mode")
    for host in lab.lb_hosts:
        lab.exec_on(host.name, [str(host.haproxy_reload)])
        if lab.haproxy_master_pid(host.name) is None:
            raise LabError(f"{host.name}: haproxy started but no master pid in /run/haproxy.pid")
    write_inventory(
        lab.inventory_path,
        [
            InventoryHost(h.name, h.address, h.haproxy_reload, h.keepalived_reload)
            for h in lab.lb_hosts
        ],
        ssh_key,
    )
    say(f"lab up in {time.monotonic() - started:.1f} s; inventory {lab.inventory_path}")
    return lab


def _build_network(topology: TopologyPlan, state: StateFile) -> None:
    # Each name is recorded before it exists: a crash at any point leaves nothing unrecorded.
    state.record_namespace(BRIDGE_NS)
    netns.add_namespace(BRIDGE_NS)
    netns.add_bridge(BRIDGE_NS, BRIDGE)
    state.record_root_link(ROOT_LINK)
    netns.add_veth(ROOT_LINK, None, bridge_port_of("root"), BRIDGE_NS)
    netns.attach_to_bridge(BRIDGE_NS, bridge_port_of("root"), BRIDGE)
    netns.add_address(None, ROOT_LINK, f"{CONTROL_ADDRESS}/{PREFIX_LEN}")
    for node in topology.nodes:
        _add_node(node, state, is_lb=node in topology.lb_hosts)


def _add_node(node: NodePlan, state: StateFile, is_lb: bool) -> None:
    state.record_namespace(node.namespace)
    netns.add_namespace(node.namespace)
    netns.add_veth(HOST_INTERFACE, node.namespace, node.bridge_port, BRIDGE_NS)
    netns.attach_to_bridge(BRIDGE_NS, node.bridge_port, BRIDGE)
    netns.add_address(node.namespace, HOST_INTERFACE, f"{node.address}/{PREFIX_LEN}")
    if is_lb:
        netns.sysctl(node.namespace, LB_SYSCTLS)


def _lab_from(directory: Path, topology: TopologyPlan, processes: dict[str, ProcessRef]) -> Lab:
    hosts = [
        LabHost(
            n.name,
            n.namespace,
            n.address,
            directory / "hosts" / n.name,
            processes[f"sshd:{n.name}"],
        )
        for n in topology.lb_hosts
    ]
    backends = [
        LabBackend(n.name, n.namespace, n.address, BACKEND_PORT, processes.get(f"backend:{n.name}"))
        for n in topology.backends
    ]
    return Lab(
        directory,
        hosts,
        backends,
        topology.client.namespace,
        directory / "inventory.yml",
        directory / "id_ed25519",
    )
