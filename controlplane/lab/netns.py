"""Network namespaces, the bridge, veth pairs and link state, all through iproute2."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .errors import LabCommandError
from .process import all_pids

NETNS_DIR = Path("/run/netns")


def run(argv: list[str], check: bool = True, timeout: float = 15.0) -> subprocess.CompletedProcess:
    """Run a lab plumbing command; raise LabCommandError with its stderr when it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise LabCommandError(argv, done.returncode, done.stdout, done.stderr)
    return done


def _ip(namespace: str | None, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    prefix = ["ip", "-n", namespace] if namespace else ["ip"]
    return run([*prefix, *args], check=check)


def namespaces() -> set[str]:
    """Return the names of all named network namespaces."""
    out = run(["ip", "netns", "list"]).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def add_namespace(name: str) -> None:
    """Create network namespace ``name`` with its loopback up."""
    run(["ip", "netns", "add", name])
    _ip(name, "link", "set", "lo", "up")


def delete_namespace(name: str) -> None:
    """Delete network namespace ``name`` if it exists (its veth ends go with it)."""
    if name in namespaces():
        run(["ip", "netns", "delete", name])


def namespace_inode(name: str) -> int | None:
    """Return the inode identifying namespace ``name`` (as /proc/PID/ns/net shows it), or None."""
    try:
        return os.stat(NETNS_DIR / name).st_ino
    except OSError:
        return None


def pids_in_namespaces(inodes: set[int]) -> list[int]:
    """Return the pids whose network namespace is one of ``inodes``."""
    found = []
    for pid in all_pids():
        try:
            link = os.readlink(f"/proc/{pid}/ns/net")
        except OSError:
            continue
        # The link reads "net:[4026532301]".
        if int(link[link.index("[") + 1 : -1]) in inodes:
            found.append(pid)
    return found


def pid_in_namespace(pid: int, name: str) -> bool:
    """Return whether ``pid`` runs in network namespace ``name``."""
    inode = namespace_inode(name)
    return inode is not None and pid in pids_in_namespaces({inode})


def sysctl(namespace: str, settings: dict[str, str]) -> None:
    """Set per-namespace sysctls such as {"net.ipv4.ip_forward": "0"} inside ``namespace``."""
    pairs = [f"{key}={value}" for key, value in settings.items()]
    run(["ip", "netns", "exec", namespace, "sysctl", "-q", "-w", *pairs])


def add_bridge(namespace: str, bridge: str) -> None:
    """Create ``bridge`` in ``namespace``: no STP delay, no multicast snooping (VRRP floods)."""
    _ip(
        namespace,
        "link",
        "add",
        bridge,
        "type",
        "bridge",
        "forward_delay",
        "0",
        "mcast_snooping",
        "0",
    )
    _ip(namespace, "link", "set", bridge, "up")


def add_veth(name: str, namespace: str | None, peer: str, peer_namespace: str) -> None:
    """Create a veth pair ``name``@``namespace`` <-> ``peer``@``peer_namespace``.

    Each end is created directly in its namespace, so a name like eth0 never clashes with the
    root namespace's own interfaces.
    """
    where = ["netns", namespace] if namespace else []
    run(
        [
            "ip",
            "link",
            "add",
            name,
            *where,
            "type",
            "veth",
            "peer",
            "name",
            peer,
            "netns",
            peer_namespace,
        ]
    )


def attach_to_bridge(namespace: str, port: str, bridge: str) -> None:
    """Make ``port`` a port of ``bridge`` and bring it up."""
    _ip(namespace, "link", "set", port, "master", bridge, "up")


def add_address(namespace: str | None, device: str, cidr: str) -> None:
    """Assign ``cidr`` to ``device`` and bring the device up."""
    _ip(namespace, "addr", "add", cidr, "dev", device)
    _ip(namespace, "link", "set", device, "up")


def set_link(namespace: str | None, device: str, up: bool) -> None:
    """Set ``device`` administratively up or down."""
    _ip(namespace, "link", "set", device, "up" if up else "down")


def link_exists(namespace: str | None, device: str) -> bool:
    """Return whether ``device`` exists in ``namespace`` (None: the root namespace)."""
    return _ip(namespace, "link", "show", "dev", device, check=False).returncode == 0


def delete_link(namespace: str | None, device: str) -> None:
    """Delete ``device`` if it exists (a veth takes its peer with it)."""
    if link_exists(namespace, device):
        _ip(namespace, "link", "delete", device)


def ipv4_addresses(namespace: str, device: str) -> list[str]:
    """Return the IPv4 addresses (without prefix length) on ``device`` in ``namespace``."""
    out = _ip(namespace, "-4", "-o", "addr", "show", "dev", device).stdout
    # Lines read "2: eth0    inet 198.18.0.10/24 brd ... scope global eth0".
    return [line.split()[3].split("/")[0] for line in out.splitlines() if " inet " in line]
