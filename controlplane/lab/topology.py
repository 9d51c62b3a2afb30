"""Names and addresses of the namespace lab: one place to read the whole layout.

Layout (all addresses from 198.18.0.0/15, the benchmarking range, never routed):

    198.18.0.1        root namespace (control plane) on link ``lbctl0``
    198.18.0.5        client namespace ``lbctl-client``
    198.18.0.10-19    LB hosts lb1..lb10, namespace ``lbctl-lbN``, interface ``eth0``
    198.18.0.20-99    backends app1..app80, namespace ``lbctl-appN``, HTTP on 8080
    198.18.0.100-199  VIPs, added by keepalived on the LB hosts (the lab never assigns them)

Every namespace hangs off bridge ``br0`` inside namespace ``lbctl-br``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

NS_PREFIX = "lbctl-"
BRIDGE_NS = "lbctl-br"
BRIDGE = "br0"
HOST_INTERFACE = "eth0"
ROOT_LINK = "lbctl0"
CLIENT_NS = "lbctl-client"

LAB_NETWORK = ipaddress.IPv4Network("198.18.0.0/24")
# Load and probe traffic may only go to these networks (the lab range and loopback).
ALLOWED_TRAFFIC_NETWORKS = (
    ipaddress.IPv4Network("198.18.0.0/15"),
    ipaddress.IPv4Network("127.0.0.0/8"),
)
PREFIX_LEN = LAB_NETWORK.prefixlen
CONTROL_ADDRESS = "198.18.0.1"
CLIENT_ADDRESS = "198.18.0.5"
VIP_RANGE_START = "198.18.0.100"
VIP_RANGE_END = "198.18.0.199"
BACKEND_PORT = 8080
SSH_PORT = 22

MAX_LB_HOSTS = 10
MAX_BACKENDS = 80
_LB_BASE = 10
_BACKEND_BASE = 20

DEFAULT_LAB_DIR = Path("/tmp/lbctl-lab")
LAB_DIR_ENV = "LBCTL_LAB_DIR"


def lab_dir(directory: Path | None = None) -> Path:
    """Return the lab directory: the argument, else $LBCTL_LAB_DIR, else /tmp/lbctl-lab."""
    if directory is not None:
        return Path(directory)
    return Path(os.environ.get(LAB_DIR_ENV) or DEFAULT_LAB_DIR)


def lb_name(index: int) -> str:
    """Return the name of LB host number ``index`` (1-based): lb1, lb2, ..."""
    return f"lb{index}"


def lb_address(index: int) -> str:
    """Return the lab address of LB host ``index`` (1-based): lb1 = 198.18.0.10."""
    if not 1 <= index <= MAX_LB_HOSTS:
        raise ValueError(f"LB host index {index} outside 1..{MAX_LB_HOSTS}")
    return str(LAB_NETWORK.network_address + _LB_BASE + index - 1)


def backend_name(index: int) -> str:
    """Return the name of backend number ``index`` (1-based): app1, app2, ..."""
    return f"app{index}"


def backend_address(index: int) -> str:
    """Return the lab address of backend ``index`` (1-based): app1 = 198.18.0.20."""
    if not 1 <= index <= MAX_BACKENDS:
        raise ValueError(f"backend index {index} outside 1..{MAX_BACKENDS}")
    return str(LAB_NETWORK.network_address + _BACKEND_BASE + index - 1)


def namespace_of(name: str) -> str:
    """Return the network namespace name for a lab host name (lb1 -> lbctl-lb1)."""
    return NS_PREFIX + name


def bridge_port_of(name: str) -> str:
    """Return the bridge-side veth name for a lab host (lb1 -> v-lb1)."""
    return f"v-{name}"


@dataclass(frozen=True)
class NodePlan:
    """One namespace on the bridge: its name, namespace, address and bridge-side port."""

    name: str
    namespace: str
    address: str

    @property
    def bridge_port(self) -> str:
        return bridge_port_of(self.name)


@dataclass(frozen=True)
class TopologyPlan:
    """Every node the lab will create, decided before anything is created."""

    lb_hosts: tuple[NodePlan, ...]
    backends: tuple[NodePlan, ...]
    client: NodePlan

    @property
    def nodes(self) -> tuple[NodePlan, ...]:
        return (*self.lb_hosts, *self.backends, self.client)


def plan(lb_hosts: int, backends: int) -> TopologyPlan:
    """Return the names and addresses for a lab of ``lb_hosts`` LB hosts and ``backends`` apps."""
    if not 1 <= lb_hosts <= MAX_LB_HOSTS:
        raise ValueError(f"lb_hosts={lb_hosts}: the lab supports 1..{MAX_LB_HOSTS} LB hosts")
    if not 0 <= backends <= MAX_BACKENDS:
        raise ValueError(f"backends={backends}: the lab supports 0..{MAX_BACKENDS} backends")
    return TopologyPlan(
        lb_hosts=tuple(
            NodePlan(lb_name(i), namespace_of(lb_name(i)), lb_address(i))
            for i in range(1, lb_hosts + 1)
        ),
        backends=tuple(
            NodePlan(backend_name(i), namespace_of(backend_name(i)), backend_address(i))
            for i in range(1, backends + 1)
        ),
        client=NodePlan("client", CLIENT_NS, CLIENT_ADDRESS),
    )
