"""Running lab Python tools (backends, load) inside namespaces, and waiting until they answer."""

from __future__ import annotations

import http.client
import os
import socket
import sys
import time
from pathlib import Path

from ..paths import import_root
from .errors import LabError
from .process import ProcessRef, spawn_daemon
from .topology import BACKEND_PORT, NodePlan


def python_env() -> dict[str, str]:
    """Return an environment in which ``python -m controlplane.lab...`` imports this same lbctl."""
    existing = os.environ.get("PYTHONPATH")
    root = import_root()
    path = f"{root}{os.pathsep}{existing}" if existing else str(root)
    return {**os.environ, "PYTHONPATH": path}


def in_namespace(namespace: str, module: str, *args: str) -> list[str]:
    """Return argv running ``python -m module args`` inside network namespace ``namespace``."""
    return ["ip", "netns", "exec", namespace, sys.executable, "-m", module, *args]


def app_dir(lab_dir: Path, name: str) -> Path:
    return lab_dir / "apps" / name


def start_backend(lab_dir: Path, node: NodePlan) -> ProcessRef:
    """Start the HTTP test backend for ``node`` in its namespace; return its process."""
    directory = app_dir(lab_dir, node.name)
    directory.mkdir(parents=True, exist_ok=True)
    argv = in_namespace(
        node.namespace,
        "controlplane.lab.backend",
        "--name",
        node.name,
        "--bind",
        node.address,
        "--port",
        str(BACKEND_PORT),
    )
    return spawn_daemon(
        argv, f"backend:{node.name}", directory / "pid", directory / "backend.log", env=python_env()
    )


def wait_for_tcp(address: str, port: int, deadline: float) -> None:
    """Return once ``address``:``port`` accepts a connection; raise LabError at ``deadline``."""
    while True:
        try:
            with socket.create_connection((address, port), timeout=0.2):
                return
        except OSError as error:
            if time.monotonic() > deadline:
                raise LabError(f"{address}:{port} not reachable: {error}") from None
            time.sleep(0.02)


def wait_for_http_ok(address: str, port: int, path: str, deadline: float) -> None:
    """Return once GET ``path`` on ``address``:``port`` answers 200; raise LabError at deadline.

    http.client, not urllib: urllib would honour a proxy from the environment.
    """
    while True:
        conn = http.client.HTTPConnection(address, port, timeout=0.5)
        try:
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
            problem = "non-200 answer"
        except OSError as error:
            problem = str(error)
        finally:
            conn.close()
        if time.monotonic() > deadline:
            raise LabError(f"http://{address}:{port}{path} not answering: {problem}")
        time.sleep(0.02)
