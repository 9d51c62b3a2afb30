"""Faults during deploys on the lab: what the user sees, and that no host is left broken.

Each test injects one fault while a deploy runs and undoes it in `finally`. Then every LB
host must be sound (`assert_sound`): `haproxy -c` and `keepalived -t` accept its live files,
each file is wholly the old or the new rendering, and HAProxy answers its runtime socket;
and a follow-up deploy converges (`assert_converged`: every host has and runs the newest
rendering). The module shares one lab deploy: each test moves the hosts to a new variant
of the lab model (a new pool behind a route, sometimes a second VIP).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from controlplane import store
from controlplane.deploy import DeployEvent, DeployResult, deploy_environment
from controlplane.lab import Lab
from controlplane.model import validate_data
from controlplane.render import render_model
from controlplane.usecases.deployments import recover_interrupted, run_deployment

from .deploying import VIP, VIP_URL, statuses, wait_for
from .faulting import (
    ENVIRONMENT,
    HOSTS,
    PENDING,
    StalledReload,
    assert_converged,
    assert_sound,
    deployment,
    disk_full,
    events,
    haproxy_worker,
    has_second_pair,
    inventory_with,
    kill_pids,
    kill_tree,
    live_files,
    pending,
    queue_deployment,
    redeploy,
    rendering,
    runs_its_files,
    scratch_folder,
    ssh_session_pids,
    start_control_plane,
    variant,
)

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

LBCTL = (sys.executable, "-m", "controlplane.cli")


@dataclass
class Hosts:
    """The lab and the model document every LB host runs now (what the next test starts from)."""

    lab: Lab
    document: dict
    serial: int = 0

    def next_document(self, second_pair: bool | None = None) -> dict:
        """Return a new variant (keeping the second VRRP pair as it is unless told)."""
        self.serial += 1
        keep = has_second_pair(self.document) if second_pair is None else second_pair
        return variant(self.serial, keep)

    def deploy(
        self, document: dict, on_event: Callable[[DeployEvent], None] | None = None
    ) -> DeployResult:
        model = validate_data(document).model
        return deploy_environment(
            model, render_model(model), self.lab.inventory_path, ENVIRONMENT, on_event=on_event
        )

    def converge(self, document: dict) -> DeployResult:
        """Deploy `document` as the follow-up deploy; assert it converged every host."""
        result = self.deploy(document)
        assert result.ok, statuses(result)
        assert_converged(self.lab, document)
        self.document = document
        return result


@pytest.fixture(scope="module")
def deployed(fresh_lab: Lab) -> Hosts:
    hosts = Hosts(fresh_lab, variant(0))
    assert hosts.deploy(hosts.document).ok
    return hosts


@pytest.fixture
def hosts(deployed: Hosts) -> Hosts:
    """The shared hosts, redeployed first if an earlier test left them elsewhere."""
    lab, expected = deployed.lab, rendering(deployed.document)
    if any(live_files(lab, h) != expected[h] or not runs_its_files(lab, h) for h in HOSTS):
        deployed.converge(deployed.document)
    # The tests count on lb1 as MASTER (lb2 deployed first); a deploy that just started
    # keepalived returns before the election ends.
    assert wait_for(lambda: VIP in lab.vips_on("lb1"), 15)
    return deployed


@pytest.fixture
def scratch() -> Iterator[Path]:
    with scratch_folder() as folder:
        yield folder


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = store.make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    store.upgrade(engine)
    return store.session_factory(engine)


def report(capsys: pytest.CaptureFixture[str], fault: str, started: float, *lines: str) -> None:
    """Print what the user saw, for docs/reliability.md."""
    with capsys.disabled():
        print(f"\n  {fault} ({time.monotonic() - started:.0f} s):")
        for line in lines:
            print(f"    {line}")


def verdicts(result: DeployResult, host: str) -> list[str]:
    return [e.message for e in result.events if e.host == host and e.message.startswith("will ")]


# --- 1. HAProxy worker killed ----------------------------------------------------------------


def test_haproxy_worker_killed_during_a_deploy_is_started_again(
    hosts: Hosts, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker SIGKILLed stops HAProxy on its host (the master exits with it).

    Killed while its host's deploy is under way (after the probe found it running), the
    deploy starts HAProxy with the new file. Killed after its host was done, the deploy
    still succeeds (the host is down until the next deploy, which starts it: "not
    running" counts as a change).
    """
    started = time.monotonic()
    lab, old, new = hosts.lab, hosts.document, hosts.next_document()
    killed: list[tuple[str, int]] = []

    def kill_lb2_worker(event: DeployEvent) -> None:
        # lb2 (BACKUP) goes first: kill its worker as its probe ends (lb2's deploy under
        # way; its stage step now also validates, so the apply follows the stage's event
        # too closely to aim between them), and again as lb1's stage ends (lb2 done).
        probed = event.task.startswith("probe") and event.host == "lb2"
        staged = event.task.startswith("stage") and event.host == "lb1"
        if (probed or staged) and event.kind in ("ok", "changed"):
            pid = haproxy_worker(lab, "lb2")
            os.kill(pid, signal.SIGKILL)
            killed.append((event.host, pid))

    probe = lab.start_probe(VIP_URL, interval=0.02, duration=25, timeout=0.5)
    try:
        result = hosts.deploy(new, on_event=kill_lb2_worker)
        assert [h for h, _ in killed] == ["lb2", "lb1"]
        assert statuses(result) == [("lb2", "changed"), ("lb1", "changed")]
        assert lab.haproxy_master_pid("lb2") is None  # the second kill: lb2 stays down
        follow_up = hosts.converge(new)
    finally:
        outage = probe.finish()  # it watched both deploys from start to end
    assert statuses(follow_up) == [("lb2", "changed"), ("lb1", "unchanged")]
    assert verdicts(follow_up, "lb2") == ["will change: haproxy.cfg (not running)"]
    assert_sound(hosts.lab, rendering(old), rendering(new))
    # lb1 held the VIP throughout: clients never noticed.
    assert outage["failed"] == 0 and outage["ok"] > 100, outage
    report(
        capsys,
        "HAProxy worker SIGKILLed on lb2 during the deploy and after its step",
        started,
        f"deploy: {statuses(result)} (HAProxy started again by the deploy)",
        f"follow-up: {statuses(follow_up)}, lb2 {verdicts(follow_up, 'lb2')[0]!r}",
        f"VIP probe: {outage['failed']} failed of {outage['requests']}",
    )


# --- 2. SSH dropped mid-run ------------------------------------------------------------------


def test_ssh_dropped_mid_step_reports_the_host_and_step_and_the_next_deploy_converges(
    hosts: Hosts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The SSH connection to lb2 is cut (its sshd session processes SIGKILLed) mid-reload.

    The step goes on on the host (sshd does not stop a session's command when the
    connection drops) and finishes; the control plane only knows the connection was lost.
    """
    started = time.monotonic()
    lab, old, new = hosts.lab, hosts.document, hosts.next_document()
    stall = StalledReload(tmp_path / "stall", lab.host("lb2").haproxy_reload)
    inventory = inventory_with(
        lab, tmp_path / ENVIRONMENT, "lb2", {"haproxy_reload_command": str(stall.script)}
    )
    model_file = tmp_path / "lb.yaml"
    model_file.write_text(yaml.safe_dump(new))
    cli = subprocess.Popen(
        [*LBCTL, "deploy", str(model_file), "-i", str(inventory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stall.wait_reached(60, cli)
        cut = ssh_session_pids(lab, "lb2")
        assert cut, "no SSH session to lb2 while its step runs"
        kill_pids(cut)
        stall.let_go()
        out, err = cli.communicate(timeout=120)
    finally:
        stall.let_go()
        if cli.poll() is None:
            kill_tree(cli)
    # The step went on without the connection: wait for lb2's reload to be verified.
    assert wait_for(lambda: not pending(lab, "lb2", PENDING["haproxy"]), 20, 0.2)

    assert cli.returncode == 1, (out, err)
    lb2_line = next(line for line in out.splitlines() if line.startswith("lb2"))
    assert "unreachable" in lb2_line and "install + reload" in lb2_line, out
    assert next(line for line in out.splitlines() if line.startswith("lb1")).split()[1:3] == [
        "not",
        "run",
    ]
    # One module call per host: the step is the host's whole step, install + reload included.
    assert "connection to lb2 was lost during 'stage, check, install + reload" in err, err
    assert_sound(lab, rendering(old), rendering(new))
    assert live_files(lab, "lb2") == rendering(new)["lb2"] and runs_its_files(lab, "lb2")
    assert live_files(lab, "lb1") == rendering(old)["lb1"]
    follow_up = hosts.converge(new)
    assert statuses(follow_up) == [("lb2", "unchanged"), ("lb1", "changed")]
    report(
        capsys,
        "SSH to lb2 cut during its reload step",
        started,
        f"lbctl deploy exit {cli.returncode}: {lb2_line.strip()[:160]}",
        err.strip().splitlines()[-1],
        f"follow-up: {statuses(follow_up)}",
    )


# --- 3. A full disk --------------------------------------------------------------------------


def test_full_disk_fails_the_step_naming_the_file_and_leaves_the_old_config(
    hosts: Hosts, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    lab, old, new = hosts.lab, hosts.document, hosts.next_document()
    worker = {h: haproxy_worker(lab, h) for h in HOSTS}

    with disk_full(lab, "lb2", "/var/lib/lbctl/staging"):
        staging = hosts.deploy(new)
    assert statuses(staging) == [("lb2", "failed"), ("lb1", "not run")]
    assert staging.hosts[0].failed_step == "stage: write the files"
    assert "No space left on device: '/var/lib/lbctl/staging/" in staging.hosts[0].error
    assert {h: haproxy_worker(lab, h) for h in HOSTS} == worker  # nothing reloaded
    assert_sound(lab, rendering(old))

    with disk_full(lab, "lb2", "/etc/haproxy"):
        install = hosts.deploy(new)
        assert_sound(lab, rendering(old))  # as the host sees it, the disk still full
    assert statuses(install) == [("lb2", "rolled back"), ("lb1", "not run")]
    assert install.hosts[0].failed_step == "install: haproxy.cfg"
    assert "No space left on device: '/etc/haproxy/haproxy.cfg'" in install.hosts[0].error
    assert_sound(lab, rendering(old))
    assert runs_its_files(lab, "lb2") and not pending(lab, "lb2", PENDING["haproxy"])

    follow_up = hosts.converge(new)
    assert statuses(follow_up) == [("lb2", "changed"), ("lb1", "changed")]
    report(
        capsys,
        "full disk on lb2",
        started,
        f"staging full: {staging.hosts[0].status}: {staging.hosts[0].error}",
        f"/etc/haproxy full: {install.hosts[0].status}: {install.hosts[0].error}",
        f"follow-up: {statuses(follow_up)}",
    )


# --- 4. The control plane killed mid-deploy --------------------------------------------------


@pytest.mark.parametrize("daemon", ["haproxy", "keepalived"])
def test_control_plane_killed_between_install_and_reload_the_next_deploy_reloads(
    hosts: Hosts,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    scratch: Path,
    daemon: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The worst moment to die: lb1's new file installed, its daemon not reloaded yet.

    The control plane (a store-backed deploy in its own process) and the step on the host
    are SIGKILLed there. The host now has the new file but runs the old config; without the
    pending-reload marker the next deploy would find the file identical and skip the reload.
    """
    started = time.monotonic()
    lab, old = hosts.lab, hosts.document
    file = {"haproxy": "haproxy.cfg", "keepalived": "keepalived.conf"}[daemon]
    # keepalived: the second VRRP pair comes or goes (lb1, its MASTER, holds its VIP).
    new = hosts.next_document(not has_second_pair(old) if daemon == "keepalived" else None)
    stall = StalledReload(tmp_path / "stall", getattr(lab.host("lb1"), f"{daemon}_reload"))
    inventory = inventory_with(
        lab, tmp_path / "stalled", "lb1", {f"{daemon}_reload_command": str(stall.script)}
    )
    url = str(sessions.kw["bind"].url)
    killed = queue_deployment(sessions, new)
    control_plane = start_control_plane(url, killed, inventory, scratch)
    try:
        script, module = stall.wait_reached(90, control_plane)
        assert deployment(sessions, killed).state == "running"
        kill_tree(control_plane)
        kill_pids([script, module])  # the step on lb1 dies with it
    finally:
        stall.let_go()
        if control_plane.poll() is None:
            kill_tree(control_plane)

    # After a restart, the record says what happened.
    assert recover_interrupted(sessions) == [killed]
    assert deployment(sessions, killed).state == "interrupted"
    last_event = events(sessions, killed)[-1].message
    assert last_event.startswith("interrupted")
    # No host is broken: lb2 is done, lb1 has the new file but runs the old config.
    assert_sound(lab, rendering(old), rendering(new))
    assert live_files(lab, "lb2") == rendering(new)["lb2"] and runs_its_files(lab, "lb2")
    assert live_files(lab, "lb1")[file] == rendering(new)["lb1"][file]
    assert not runs_its_files(lab, "lb1") and pending(lab, "lb1", PENDING[daemon])

    # The next deploy of the same revision reloads lb1 although its file is unchanged.
    again = redeploy(sessions, killed)
    run_deployment(sessions, again, lab.inventory_path, 0.0)
    record = deployment(sessions, again)
    assert record.state == "succeeded", record.host_results
    assert {r["host"]: r["status"] for r in record.host_results} == {
        "lb2": "unchanged",
        "lb1": "changed",
    }
    said = [e.message for e in events(sessions, again) if e.host == "lb1" and "will" in e.message]
    assert said == [f"will change: {file} (reload pending)"]
    assert_converged(lab, new)
    hosts.document = new
    report(
        capsys,
        f"control plane SIGKILLed between lb1's {file} install and its reload",
        started,
        f"after restart: deployment {killed} 'interrupted', last event {last_event!r}",
        f"next deploy: {record.state}, {[(r['host'], r['status']) for r in record.host_results]}"
        f", lb1 {said[0]!r}",
    )


# --- 5. Two deploys at once ------------------------------------------------------------------


def test_two_deploys_at_once_never_interleave(
    hosts: Hosts,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    scratch: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    lab = hosts.lab
    first_doc, second_doc = hosts.next_document(), hosts.next_document()
    first, second = queue_deployment(sessions, first_doc), queue_deployment(sessions, second_doc)
    url = str(sessions.kw["bind"].url)
    model_file = tmp_path / "lb.yaml"
    model_file.write_text(yaml.safe_dump(second_doc))
    runs = [start_control_plane(url, first, lab.inventory_path, scratch)]
    try:
        assert wait_for(lambda: any(e.host for e in events(sessions, first)), 60, 0.1)
        # A second control plane that may wait, and a person at the CLI who may not.
        runs.append(start_control_plane(url, second, lab.inventory_path, scratch, wait_s=120))
        cli = subprocess.run(
            [*LBCTL, "deploy", str(model_file), "-i", str(lab.inventory_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert deployment(sessions, first).state == "running"  # the refusal came mid-deploy
        for run in runs:
            run.wait(timeout=180)
    finally:
        for run in runs:
            if run.poll() is None:
                kill_tree(run)

    assert cli.returncode == 1
    refusal = f"error: environment '{ENVIRONMENT}' is being deployed by pid {runs[0].pid}"
    assert refusal in cli.stderr, cli.stderr
    a, b = deployment(sessions, first), deployment(sessions, second)
    assert a.state == b.state == "succeeded", (a.host_results, b.host_results)
    assert b.started_at < a.finished_at  # the second was waiting while the first ran
    steps_a = [e.at for e in events(sessions, first) if e.host]
    steps_b = [e.at for e in events(sessions, second) if e.host]
    assert steps_a and steps_b and max(steps_a) < min(steps_b), "host steps overlapped"
    assert_converged(lab, second_doc)
    hosts.document = second_doc
    report(
        capsys,
        "two deploys of one environment at once",
        started,
        f"CLI without --wait: exit {cli.returncode}: {cli.stderr.strip().splitlines()[-1]}",
        f"second control plane (waits up to 120 s): {b.state}; its first host step "
        f"{(min(steps_b) - max(steps_a)).total_seconds():.2f} s after the first deploy's last",
    )


# --- 6. A backend flapping -------------------------------------------------------------------


def flapping(lab: Lab, backend: str, stop: threading.Event, cycles: int = 10) -> Iterator[int]:
    """Stop and start `backend` (by pid) every ~0.7 s until `stop` is set or `cycles` ran."""
    for cycle in range(cycles):
        if stop.is_set():
            return
        lab.stop_backend(backend)
        time.sleep(0.7)
        lab.start_backend(backend)
        yield cycle + 1
        stop.wait(0.7)


def test_backend_flapping_during_a_deploy_keeps_the_vip_serving(
    hosts: Hosts, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    lab, new = hosts.lab, hosts.next_document()
    stop, flaps = threading.Event(), []
    flapper = threading.Thread(target=lambda: flaps.extend(flapping(lab, "app2", stop)))
    load = lab.start_load(VIP_URL, connections=4, duration=12, max_requests=100_000)
    flapper.start()
    try:
        result = hosts.deploy(new)
    finally:
        stop.set()
        flapper.join(timeout=30)
        lab.start_backend("app2")
        stats = load.result()
    assert statuses(result) == [("lb2", "changed"), ("lb1", "changed")]
    assert len(flaps) >= 3
    assert_converged(lab, new)
    hosts.document = new
    # app1 kept serving; retries + redispatch hide app2's refusals from clients.
    assert stats["backends"].get("app1", 0) > 0
    assert stats["failed"] <= stats["requests"] * 0.01, stats
    report(
        capsys,
        f"backend app2 stopped/started {len(flaps)} times during a deploy",
        started,
        f"deploy: {statuses(result)}",
        f"VIP load: {stats['failed']} failed of {stats['requests']} "
        f"({stats['failed_connection']} connection, statuses {stats['statuses']}), "
        f"by backend {stats['backends']}",
    )
