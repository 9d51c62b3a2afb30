"""The namespace lab: LB hosts, backends and a client on one bridge, for tests and benchmarks.

    with reserved():                      # other processes' up()/down() wait or refuse
        lab = up(lb_hosts=2, backends=3)  # cleans up a previous lab first
        lab.exec_on("lb1", ["cat", "/etc/haproxy/haproxy.cfg"])
        report = lab.run_load("http://198.18.0.100/", connections=16, duration=5)
        down()                            # idempotent

Root only; standard library only. Addresses: see ``controlplane.lab.topology``.
"""

from __future__ import annotations

from .errors import LabCommandError, LabError
from .lab import Lab, LabBackend, LabHost, LoadRun
from .lifecycle import current, down, require_root_lab, up
from .reservation import LabBusyError, lend, reserved
from .topology import (
    CLIENT_ADDRESS,
    CONTROL_ADDRESS,
    VIP_RANGE_END,
    VIP_RANGE_START,
    backend_address,
    lab_dir,
    lb_address,
)

__all__ = [
    "CLIENT_ADDRESS",
    "CONTROL_ADDRESS",
    "VIP_RANGE_END",
    "VIP_RANGE_START",
    "Lab",
    "LabBackend",
    "LabBusyError",
    "LabCommandError",
    "LabError",
    "LabHost",
    "LoadRun",
    "backend_address",
    "current",
    "down",
    "lab_dir",
    "lb_address",
    "lend",
    "require_root_lab",
    "reserved",
    "up",
]
