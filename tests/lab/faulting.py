"""Helpers for fault tests on the lab: inject a fault by pid or mount, and judge the hosts after.

Every fault here is undone by the caller's `finally` (or the context manager's own), stops
processes only by pid, and sends traffic only to lab addresses.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from controlplane import store
from controlplane.lab import Lab, LabCommandError
from controlplane.lab.lbhost import nsenter_argv
from controlplane.model import validate_data
from controlplane.render import HAPROXY_FILE, KEEPALIVED_FILE, render_model
from controlplane.usecases import revisions

from .deploying import LAB_MODEL, VIP, runtime, wait_for

HOSTS = ("lb1", "lb2")
HAPROXY_CFG = "/etc/haproxy/haproxy.cfg"
KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf"
PENDING = {
    "haproxy": "/run/lbctl/pending/haproxy.cfg",
    "keepalived": "/run/lbctl/pending/keepalived.conf",
}
EXTRA_VIP = "198.18.0.101"
_LAB_DOCUMENT = yaml.safe_load(LAB_MODEL.read_text())

Files = dict[str, dict[str, str]]  # host -> file name -> text


# --- models: each test moves the hosts to a new variant ------------------------------------


def variant(serial: int, second_pair: bool = False) -> dict:
    """Return the lab document plus pool `v<serial>` behind a route (a backend HAProxy lists).

    With `second_pair`, lb1 and lb2 also run VRRP instance `edge2` holding EXTRA_VIP: a
    keepalived.conf change that the MASTER (lb1) shows by holding the address. (Adding a
    VIP to the existing pair instead would change its adverts' address list: the two
    hosts would ignore each other's adverts until both are reloaded.)
    """
    data = copy.deepcopy(_LAB_DOCUMENT)
    name = f"v{serial}"
    data["pools"].append(
        {"name": name, "servers": [{"name": "app1", "address": "198.18.0.20", "port": 8080}]}
    )
    data["frontends"][0]["routes"].append({"host": f"{name}.example.com", "pool": name})
    if second_pair:
        data["vip_pairs"].append(
            {
                **data["vip_pairs"][0],
                "name": "edge2",
                "virtual_router_id": 52,
                "vips": [f"{EXTRA_VIP}/24"],
            }
        )
    return data


def rendering(document: dict) -> Files:
    """Return every host's rendered files for a model document."""
    rendered = render_model(validate_data(copy.deepcopy(document)).model)
    return {h.host: dict(h.files) for h in rendered.hosts}


def has_second_pair(document: dict) -> bool:
    return len(document["vip_pairs"]) > 1


# --- judging the hosts ---------------------------------------------------------------------


def live_files(lab: Lab, host: str) -> dict[str, str]:
    return {
        HAPROXY_FILE: lab.exec_on(host, ["cat", HAPROXY_CFG]).stdout,
        KEEPALIVED_FILE: lab.exec_on(host, ["cat", KEEPALIVED_CONF]).stdout,
    }


def assert_sound(lab: Lab, *renderings: Files) -> None:
    """Assert no LB host has a broken or half-written config, and HAProxy answers.

    On every host: `haproxy -c` and `keepalived -t` accept the live files, each live file is
    exactly one of the given renderings (the old or the new, never a mix or a torn write),
    and a worker answers HAProxy's runtime socket.
    """
    for host in HOSTS:
        haproxy = lab.exec_on(host, ["haproxy", "-c", "-f", HAPROXY_CFG], check=False)
        assert haproxy.returncode == 0, f"{host}: haproxy -c: {haproxy.stdout}{haproxy.stderr}"
        keepalived = lab.exec_on(host, ["keepalived", "-t", "-f", KEEPALIVED_CONF], check=False)
        assert keepalived.returncode == 0, f"{host}: keepalived -t: {keepalived.stderr}"
        for name, text in live_files(lab, host).items():
            known = [r[host][name] for r in renderings]
            assert text in known, f"{host}/{name} is none of the {len(known)} renderings"
        assert "Pid:" in runtime(lab, host, "show info"), f"{host}: no HAProxy worker answers"


def running_backends(lab: Lab, host: str) -> set[str]:
    """Return the backends the HAProxy worker on `host` runs (its runtime API's list)."""
    lines = runtime(lab, host, "show backend").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def file_backends(text: str) -> set[str]:
    return set(re.findall(r"^backend (\S+)", text, re.MULTILINE))


def file_instances(text: str) -> dict[str, set[str]]:
    """Return each VRRP instance of a keepalived.conf with the VIPs it holds as MASTER."""
    sections = re.split(r"^vrrp_instance ", text, flags=re.MULTILINE)[1:]
    return {
        section.split()[0]: set(re.findall(r"^\s+(\d+\.\d+\.\d+\.\d+)/\d+ dev ", section, re.M))
        for section in sections
    }


def runs_its_files(lab: Lab, host: str) -> bool:
    """Return whether `host`'s daemons run what its files say.

    HAProxy: the worker lists exactly the file's backends. keepalived: every VRRP instance
    of the file has reported a state through the notify hook (the deploy's own proof), the
    host holds all or none of each instance's VIPs (MASTER or BACKUP), and no VIP the file
    does not name (an instance it no longer has).
    """
    files = live_files(lab, host)
    try:
        if running_backends(lab, host) != file_backends(files[HAPROXY_FILE]):
            return False
    except LabCommandError:  # no HAProxy answers
        return False
    instances = file_instances(files[KEEPALIVED_FILE])
    held = set(lab.vips_on(host))
    if not held <= set().union(*instances.values()):
        return False
    for name, vips in instances.items():
        reported = lab.exec_on(host, ["test", "-s", f"/run/lbctl/vrrp/{name}"], check=False)
        if reported.returncode != 0 or (held & vips and not vips <= held):
            return False
    return True


def assert_converged(lab: Lab, document: dict, seconds: float = 8.0) -> None:
    """Assert every host has the document's files, runs them, and no reload is pending."""
    expected = rendering(document)
    for host in HOSTS:
        assert live_files(lab, host) == expected[host], f"{host} does not have the new files"
        # A VIP added by a keepalived reload appears within a few adverts.
        assert wait_for(lambda h=host: runs_its_files(lab, h), seconds, 0.2), (
            f"{host} does not run its files: backends {running_backends(lab, host)}, "
            f"VIPs {lab.vips_on(host)}"
        )
        for marker in PENDING.values():
            assert not pending(lab, host, marker), f"{host}: {marker} left behind"
    assert_sound(lab, expected)


def pending(lab: Lab, host: str, marker: str) -> bool:
    return lab.exec_on(host, ["test", "-e", marker], check=False).returncode == 0


# --- processes -----------------------------------------------------------------------------


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces): state ppid ...
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def descendants(pid: int) -> list[int]:
    """Return the pids of every process below `pid` (children, grandchildren...)."""
    parents = _parents()
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def command_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def kill_pids(pids: list[int]) -> None:
    """SIGKILL each pid that still exists."""
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a child process and everything it started, at once (a crash, an OOM kill)."""
    kill_pids([process.pid, *descendants(process.pid)])
    process.wait(timeout=10)


def haproxy_worker(lab: Lab, host: str, wait_s: float = 5.0) -> int:
    """Return the pid of the HAProxy worker on `host`, as its runtime API reports it.

    Waits up to `wait_s` for the admin socket to answer: right after the deploy started
    HAProxy again, the socket file may be there before the new worker accepts on it.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            info = runtime(lab, host, "show info")
            break
        except LabCommandError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)
    return int(next(line for line in info.splitlines() if line.startswith("Pid:")).split()[1])


def ssh_session_pids(lab: Lab, host: str) -> list[int]:
    """Return the sshd processes serving open connections to `host` (not its listener)."""
    return [p for p in descendants(lab.host(host).sshd_pid) if command_name(p) == "sshd"]


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """Yield a short-named folder for a control plane's temporary files, then remove it.

    Short: SSH control sockets live in it, and a Unix socket path has ~100 characters.
    Every SSH ControlPersist master left in it is asked to exit first: a killed control
    plane leaves them behind (they detach from its process tree).
    """
    folder = Path(tempfile.mkdtemp(prefix="lbctl-fault-"))
    try:
        yield folder
    finally:
        for socket in folder.glob("lbctl-ansible-*/cp/*"):
            argv = ["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "lbctl-fault-test"]
            subprocess.run(argv, capture_output=True, timeout=10, check=False)
        shutil.rmtree(folder, ignore_errors=True)


# --- a reload that waits: the moment between install and reload, held open ------------------

_STALL = """#!/bin/sh
# Stands in for a reload command in a fault test: reports that the install is done and
# the reload about to run, then waits (at most 30 s) for the test to kill it or let it go.
echo "$$ $PPID" > {reached}.tmp && mv {reached}.tmp {reached}
i=0
while [ ! -e {release} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
exec {command}
"""


@dataclass
class StalledReload:
    """A reload command that holds a deploy right after the install, until released."""

    folder: Path
    command: Path  # the real reload command it runs once released

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.script.write_text(
            _STALL.format(reached=self.reached, release=self.release, command=self.command)
        )
        self.script.chmod(0o755)

    @property
    def script(self) -> Path:
        return self.folder / "stalled-reload"

    @property
    def reached(self) -> Path:
        return self.folder / "reached"

    @property
    def release(self) -> Path:
        return self.folder / "release"

    def wait_reached(self, seconds: float, deploy: subprocess.Popen) -> tuple[int, int]:
        """Return (script pid, pid of the module that ran it) once the reload is reached."""
        wait_for(lambda: self.reached.exists() or deploy.poll() is not None, seconds, 0.05)
        if not self.reached.exists():
            ended = "ended" if deploy.poll() is not None else "still runs"
            raise AssertionError(f"the deploy never reached the reload ({ended})")
        script, module = self.reached.read_text().split()
        return int(script), int(module)

    def let_go(self) -> None:
        self.release.touch()


def inventory_with(lab: Lab, folder: Path, host: str, variables: dict[str, str]) -> Path:
    """Return a copy of the lab inventory in `folder` with host variables of `host` replaced."""
    inventory = yaml.safe_load(lab.inventory_path.read_text())
    inventory["all"]["children"]["lb"]["hosts"][host].update(variables)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


# --- a full disk ---------------------------------------------------------------------------

_FILL = """set -e
copy=$(mktemp -d)
cp -a {path}/. "$copy"/
mount -t tmpfs -o size={size},mode=0755 lbctl-fault-full {path}
cp -a "$copy"/. {path}/
rm -rf "$copy"
dd if=/dev/zero of={path}/.lbctl-fault-filler bs=4k 2>/dev/null || true
"""
_UNFILL = "rm -f {path}/.lbctl-fault-filler; umount {path} || umount -l {path}"


@contextmanager
def disk_full(lab: Lab, host: str, path: str, size: str = "512k") -> Iterator[None]:
    """Make `path` on `host` a full filesystem (a tmpfs holding a copy of its files).

    The mount lives in the host's own mount namespace only; it is removed afterwards,
    which brings back the original folder as it was.
    """
    lab.exec_on(host, ["sh", "-c", _FILL.format(path=path, size=size)])
    try:
        yield
    finally:
        lab.exec_on(host, ["sh", "-c", _UNFILL.format(path=path)], check=False)


# --- store-backed deploys in a control-plane process of their own ---------------------------

ENVIRONMENT = "lbctl-lab"  # the lab inventory's folder: the CLI's environment name too


def queue_deployment(sessions: sessionmaker[Session], document: dict) -> int:
    """Return the id of a queued deployment of a new revision holding `document`."""
    with sessions.begin() as session:
        head = store.current_revision(session, ENVIRONMENT)
        revision = revisions.import_yaml(
            session,
            ENVIRONMENT,
            yaml.safe_dump(document),
            store.Actor("fault-test", "operator", via="cli"),
            "fault test",
            head.number if head else None,
        )
        return store.create_deployment(session, revision, "fault-test").id


def redeploy(sessions: sessionmaker[Session], deployment_id: int) -> int:
    """Return the id of a new queued deployment of the same revision as `deployment_id`."""
    with sessions.begin() as session:
        revision = store.get_deployment(session, deployment_id).revision
        return store.create_deployment(session, revision, "fault-test").id


def start_control_plane(
    url: str, deployment_id: int, inventory: Path, scratch: Path, wait_s: float = 0.0
) -> subprocess.Popen:
    """Start a process that runs the queued deployment (its Ansible folders under `scratch`)."""
    argv = [sys.executable, "-m", "tests.lab.deploy_process", url, str(deployment_id)]
    return subprocess.Popen(
        [*argv, str(inventory), str(wait_s)],
        cwd=Path(__file__).parent.parent.parent,
        env=os.environ | {"TMPDIR": str(scratch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def deployment(sessions: sessionmaker[Session], deployment_id: int) -> store.Deployment:
    with sessions() as session:
        return store.get_deployment(session, deployment_id)


def events(sessions: sessionmaker[Session], deployment_id: int) -> list:
    with sessions() as session:
        return store.list_events(session, deployment_id)


def wait_state(
    sessions: sessionmaker[Session], deployment_id: int, states: tuple[str, ...], seconds: float
) -> str:
    """Return the deployment's state once it is one of `states` (or as it is after `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        state = deployment(sessions, deployment_id).state
        if state in states or time.monotonic() >= deadline:
            return state
        time.sleep(0.2)


# --- a port the new worker cannot bind ---------------------------------------------------

SQUATTED_PORT = 9099
# Binds without SO_REUSEPORT, so HAProxy's new worker cannot bind the same address.
SQUATTER = f"""
import socket, sys, time
s = socket.socket()
s.bind(("{VIP}", {SQUATTED_PORT}))
s.listen()
print("ready", flush=True)
time.sleep(120)
"""


@contextmanager
def port_squatted(lab: Lab, host: str) -> Iterator[None]:
    """Hold VIP:SQUATTED_PORT on `host` with another program (stopped by pid afterwards)."""
    argv = nsenter_argv(lab.host(host).sshd_pid, [sys.executable, "-c", SQUATTER])
    squatter = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert squatter.stdout is not None and squatter.stdout.readline().strip() == "ready"
        yield
    finally:
        squatter.kill()
        squatter.wait(timeout=10)
