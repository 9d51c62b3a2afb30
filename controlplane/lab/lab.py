"""A running lab: its hosts, and what tests and benchmarks do with them."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import apps, netns
from .errors import LabCommandError, LabError
from .lbhost import HostPaths, nsenter_argv
from .process import ProcessRef, is_alive, read_pid_file, terminate
from .state import StateFile, locked
from .topology import BRIDGE_NS, HOST_INTERFACE, NodePlan, bridge_port_of

SSH_OPTIONS = (
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=5",
)
# How long past its own duration a load run may take before we call it hung.
LOAD_TIMEOUT_MARGIN_S = 15.0


@dataclass(frozen=True)
class LabHost:
    """An LB host: namespace, address, private directory and the sshd that holds it."""

    name: str
    namespace: str
    address: str
    dir: Path
    sshd: ProcessRef

    @property
    def sshd_pid(self) -> int:
        return self.sshd.pid

    @property
    def paths(self) -> HostPaths:
        return HostPaths(self.dir)

    @property
    def haproxy_reload(self) -> Path:
        return self.paths.script("haproxy-reload")

    @property
    def keepalived_reload(self) -> Path:
        return self.paths.script("keepalived-reload")

    @property
    def haproxy_stop(self) -> Path:
        return self.paths.script("haproxy-stop")

    @property
    def keepalived_stop(self) -> Path:
        return self.paths.script("keepalived-stop")


@dataclass
class LabBackend:
    """An HTTP test backend; ``process`` is None while it is stopped."""

    name: str
    namespace: str
    address: str
    port: int
    process: ProcessRef | None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}/"


class LoadRun:
    """A load or probe run in the background; ``result()`` waits for its JSON report."""

    def __init__(self, argv: list[str], limit_s: float) -> None:
        self.argv = argv
        self._limit_s = limit_s
        self._started = time.monotonic()
        self._report: dict | None = None
        self._process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=apps.python_env()
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    def result(self) -> dict:
        """Return the run's report, waiting until it ends by itself (or kill it when hung)."""
        if self._report is not None:
            return self._report
        remaining = max(1.0, self._limit_s - (time.monotonic() - self._started))
        try:
            out, err = self._process.communicate(timeout=remaining)
        except subprocess.TimeoutExpired:
            self.stop()
            raise LabError(
                f"load run did not finish within {self._limit_s:.0f} s; killed it"
            ) from None
        if self._process.returncode != 0:
            raise LabCommandError(self.argv, self._process.returncode, out, err)
        self._report = json.loads(out)
        return self._report

    def wait_until_running(self, timeout_s: float = LOAD_TIMEOUT_MARGIN_S) -> bool:
        """Return once the run sends (it catches SIGUSR1 then): True, or False if it ended
        or `timeout_s` passed first."""
        deadline = time.monotonic() + timeout_s
        while not _catches_sigusr1(self.pid):
            if self._process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def finish(self) -> dict:
        """End the run now and return its report (what it measured until this moment)."""
        if self._report is None and self._process.poll() is None:
            # `ip netns exec` execs the probe, so this pid is the probe's own; until it has
            # installed its handler, SIGUSR1 would kill it, so wait for the handler first.
            self.wait_until_running()
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGUSR1)
        return self.result()

    def stop(self) -> None:
        """Kill the run now (it is our child: reap it too)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()


def _catches_sigusr1(pid: int) -> bool:
    """Return whether process `pid` has a handler for SIGUSR1 (its SigCgt mask in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) >> (signal.SIGUSR1 - 1) & 1)


@dataclass
class Lab:
    """The lab in ``dir``, as ``up()`` built it (or ``current()`` read it back)."""

    dir: Path
    lb_hosts: list[LabHost]
    backends: list[LabBackend]
    client_ns: str
    inventory_path: Path
    ssh_key: Path

    # --- finding things -------------------------------------------------------------------

    def host(self, name: str) -> LabHost:
        """Return LB host ``name``; raise LabError naming the valid hosts otherwise."""
        for host in self.lb_hosts:
            if host.name == name:
                return host
        raise LabError(f"no LB host {name!r}; the lab has {[h.name for h in self.lb_hosts]}")

    def backend(self, name: str) -> LabBackend:
        """Return backend ``name``; raise LabError naming the valid backends otherwise."""
        for backend in self.backends:
            if backend.name == name:
                return backend
        raise LabError(f"no backend {name!r}; the lab has {[b.name for b in self.backends]}")

    def _node_names(self) -> list[str]:
        return [h.name for h in self.lb_hosts] + [b.name for b in self.backends] + ["client"]

    # --- running commands -----------------------------------------------------------------

    def exec_on(
        self,
        host: str,
        argv: list[str],
        check: bool = True,
        timeout: float = 30,
        input: str | None = None,
    ) -> subprocess.CompletedProcess:
        """Return the result of ``argv`` run as root on LB host ``host`` (its namespaces)."""
        return _run(nsenter_argv(self.host(host).sshd_pid, argv), check, timeout, input)

    def exec_in_client(
        self, argv: list[str], check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess:
        """Return the result of ``argv`` run in the client namespace."""
        return _run(["ip", "netns", "exec", self.client_ns, *argv], check, timeout, None)

    def ssh_argv(self, host: str) -> list[str]:
        """Return the ssh command line (without the remote command) that logs into ``host``."""
        return ["ssh", "-i", str(self.ssh_key), *SSH_OPTIONS, f"root@{self.host(host).address}"]

    def ssh(
        self, host: str, command: str, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess:
        """Return the result of ``command`` run on ``host`` over real SSH from here."""
        return _run([*self.ssh_argv(host), command], check, timeout, None)

    # --- failures and observation ---------------------------------------------------------

    def link_down(self, name: str) -> None:
        """Unplug ``name``'s cable: its bridge port goes down, its eth0 loses carrier."""
        self._set_link(name, up=False)

    def link_up(self, name: str) -> None:
        """Plug ``name``'s cable back in."""
        self._set_link(name, up=True)

    def _set_link(self, name: str, up: bool) -> None:
        if name not in self._node_names():
            raise LabError(f"no lab node {name!r}; the lab has {self._node_names()}")
        netns.set_link(BRIDGE_NS, bridge_port_of(name), up)

    def vips_on(self, host: str) -> list[str]:
        """Return the addresses on ``host``'s eth0 other than its own (the VIPs it holds)."""
        lab_host = self.host(host)
        addresses = netns.ipv4_addresses(lab_host.namespace, HOST_INTERFACE)
        return [address for address in addresses if address != lab_host.address]

    def haproxy_master_pid(self, host: str) -> int | None:
        """Return the HAProxy master pid from ``host``'s pid file, or None if not running."""
        return self._daemon_pid(host, self.host(host).paths.haproxy_pid_file)

    def keepalived_pid(self, host: str) -> int | None:
        """Return the keepalived parent pid from ``host``'s pid file, or None if not running."""
        return self._daemon_pid(host, self.host(host).paths.keepalived_pid_file)

    def _daemon_pid(self, host: str, pid_file: Path) -> int | None:
        pid = read_pid_file(pid_file)
        # A stale file may name a reused pid: only a process in this host's namespace counts.
        if pid is None or not netns.pid_in_namespace(pid, self.host(host).namespace):
            return None
        return pid

    def health(self) -> list[str]:
        """Return what is wrong with the lab (empty when every recorded part is running)."""
        problems = [
            f"namespace {ns} missing" for ns in self._namespaces() if ns not in netns.namespaces()
        ]
        problems += [f"sshd of {h.name} not running" for h in self.lb_hosts if not is_alive(h.sshd)]
        problems += [
            f"backend {b.name} not running"
            for b in self.backends
            if b.process and not is_alive(b.process)
        ]
        return problems

    def _namespaces(self) -> list[str]:
        return [
            BRIDGE_NS,
            self.client_ns,
            *(h.namespace for h in self.lb_hosts),
            *(b.namespace for b in self.backends),
        ]

    # --- backends -------------------------------------------------------------------------

    def stop_backend(self, name: str) -> None:
        """Stop backend ``name`` so health checks see it DOWN."""
        backend = self.backend(name)
        with locked(self.dir):
            if backend.process:
                terminate([backend.process])
            state = StateFile.load(self.dir)
            if state:
                state.forget_process(f"backend:{name}")
        backend.process = None

    def start_backend(self, name: str) -> None:
        """Start backend ``name`` again (no-op if running) and wait until it answers."""
        backend = self.backend(name)
        if backend.process and is_alive(backend.process):
            return
        with locked(self.dir):
            node = NodePlan(backend.name, backend.namespace, backend.address)
            backend.process = apps.start_backend(self.dir, node)
            state = StateFile.load(self.dir)
            if state:
                state.record_process(backend.process)
        apps.wait_for_http_ok(backend.address, backend.port, "/healthz", time.monotonic() + 10)

    # --- traffic --------------------------------------------------------------------------

    def run_load(
        self,
        url: str,
        connections: int = 16,
        duration: float = 10.0,
        max_requests: int = 200_000,
        timeout: float = 2.0,
    ) -> dict:
        """Return the load report of ``connections`` keep-alive clients (client namespace)."""
        return self.start_load(url, connections, duration, max_requests, timeout).result()

    def start_load(
        self,
        url: str,
        connections: int = 16,
        duration: float = 10.0,
        max_requests: int = 200_000,
        timeout: float = 2.0,
    ) -> LoadRun:
        """Start a load run in the background (client namespace); ``.result()`` collects it."""
        mode = ["--connections", str(connections)]
        return self._start_traffic(url, mode, duration, max_requests, timeout)

    def run_probe(
        self,
        url: str,
        interval: float = 0.01,
        duration: float = 10.0,
        max_requests: int = 100_000,
        timeout: float = 0.2,
    ) -> dict:
        """Return the outage report of probing ``url`` every ``interval`` s (client namespace)."""
        return self.start_probe(url, interval, duration, max_requests, timeout).result()

    def start_probe(
        self,
        url: str,
        interval: float = 0.01,
        duration: float = 10.0,
        max_requests: int = 100_000,
        timeout: float = 0.2,
    ) -> LoadRun:
        """Start a failover probe in the background; ``.result()`` collects it."""
        mode = ["--probe-interval", str(interval)]
        return self._start_traffic(url, mode, duration, max_requests, timeout)

    def _start_traffic(
        self, url: str, mode: list[str], duration: float, max_requests: int, timeout: float
    ) -> LoadRun:
        bounds = ["--duration", str(duration), "--max-requests", str(max_requests)]
        args = ["--url", url, *mode, *bounds, "--timeout", str(timeout)]
        argv = apps.in_namespace(self.client_ns, "controlplane.lab.load", *args)
        return LoadRun(argv, duration + timeout + LOAD_TIMEOUT_MARGIN_S)


def _run(
    argv: list[str], check: bool, timeout: float, input: str | None
) -> subprocess.CompletedProcess:
    # Without input, stdin is /dev/null: ssh must never read the caller's terminal.
    stdin = subprocess.DEVNULL if input is None else None
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, input=input, stdin=stdin, check=False
    )
    if check and done.returncode != 0:
        raise LabCommandError(argv, done.returncode, done.stdout, done.stderr)
    return done
