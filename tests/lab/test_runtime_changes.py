"""Changes without a reload, on the lab's real HAProxy over real SSH (root only)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from controlplane import store
from controlplane.lab import Lab
from controlplane.runtime import ChannelPool, runtime_state
from controlplane.runtime.haproxy import worker_pid as worker_pid_of
from controlplane.usecases import revisions, server_state
from tests.support import SEED

from .deploying import (
    LAB_MODEL,
    VIP_URL,
    deploy,
    lab_model,
    live_file,
    runtime,
    statuses,
    wait_for,
    worker_pid,
)

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

ENVIRONMENT = "lab-test"
HOSTS = ("lb1", "lb2")
ACTOR = store.Actor("tester", "operator", via="cli")


def app2_state(lab: Lab, host: str) -> tuple[str, int]:
    found = runtime_state(runtime(lab, host, "show servers state app"))["app/app2"]
    return found.state, found.weight


def test_drain_applies_on_both_hosts_without_reload_and_the_next_deploy_agrees(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert {h.status for h in deploy(lab, lab_model()).hosts} <= {"changed", "unchanged"}
    sessions = store.session_factory(store.make_engine(store.database_url(tmp_path)))
    store.upgrade(sessions.kw["bind"])
    with sessions.begin() as session:
        revisions.import_yaml(session, ENVIRONMENT, LAB_MODEL.read_text(), SEED, "lab", None)
    pids = {h: worker_pid(lab, h) for h in HOSTS}
    channels = ChannelPool()
    channels.warm(list(channels.targets(lab.inventory_path, list(HOSTS)).values()))
    try:
        load = lab.start_load(VIP_URL, connections=8, duration=6, max_requests=100_000)
        time.sleep(1.5)
        started = time.monotonic()
        with sessions.begin() as session:
            result = server_state.set_server(
                session, ENVIRONMENT, lab.inventory_path, "app", "app2", ACTOR,
                state="drain", channels=channels,
            )  # fmt: skip
            number = result.revision.number
        elapsed = time.monotonic() - started
        stats = load.result()
    finally:
        channels.close()
    with capsys.disabled():
        print(
            f"\n  runtime drain: {elapsed * 1000:.0f} ms request to verified on both hosts "
            + ", ".join(f"{h.host} {h.seconds * 1000:.0f} ms" for h in result.hosts)
            + f"; load {stats['ok']} ok, {stats['failed']} failed"
        )
    assert [(h.host, h.ok, h.error) for h in result.hosts] == [(h, True, "") for h in HOSTS]
    # The latency is printed above; its target is checked by benchmarks, not by a timed test.
    assert all(app2_state(lab, h) == ("drain", 0) for h in HOSTS)
    assert {h: worker_pid(lab, h) for h in HOSTS} == pids  # no reload
    assert stats["failed"] == 0 and stats["ok"] > 100
    after = lab.run_load(VIP_URL, connections=4, duration=2, max_requests=20_000)
    assert after["failed"] == 0 and set(after["backends"]) == {"app1"}

    # The hosts' files were updated too (no reload): they render app2 drained, so a deploy
    # of the saved revision finds nothing to do, and a rollback would be a real change.
    with sessions.begin() as session:
        model = store.revision_model(store.get_revision(session, ENVIRONMENT, number))
    assert "server app2 198.18.0.21:8080 check weight 0" in live_file(
        lab, "lb1", "/etc/haproxy/haproxy.cfg"
    )
    assert statuses(deploy(lab, model)) == [("lb2", "unchanged"), ("lb1", "unchanged")]
    assert all(app2_state(lab, h) == ("drain", 0) for h in HOSTS)  # nothing flapped back


def test_a_weight_only_deploy_takes_the_runtime_path(lab: Lab) -> None:
    assert {h.status for h in deploy(lab, lab_model()).hosts} <= {"changed", "unchanged"}
    pids = {h: worker_pid(lab, h) for h in HOSTS}

    def heavier_app2(data: dict) -> None:
        data["pools"][0]["servers"][1]["weight"] = 80

    result = deploy(lab, lab_model(heavier_app2))
    assert statuses(result) == [("lb2", "changed"), ("lb1", "changed")]
    assert {h: worker_pid(lab, h) for h in HOSTS} == pids  # applied without a reload
    assert all(app2_state(lab, h) == ("ready", 80) for h in HOSTS)
    assert statuses(deploy(lab, lab_model(heavier_app2))) == [
        ("lb2", "unchanged"),
        ("lb1", "unchanged"),
    ]


def test_a_reload_after_a_runtime_drain_keeps_the_server_drained(lab: Lab) -> None:
    def drain_app2(data: dict) -> None:
        data["pools"][0]["servers"][1]["state"] = "drain"

    def and_slower_checks(data: dict) -> None:
        data["health_checks"][0]["interval"] = "3s"

    deploy(lab, lab_model(drain_app2))
    pids = {h: worker_pid(lab, h) for h in HOSTS}
    result = deploy(lab, lab_model(drain_app2, and_slower_checks))  # needs a reload
    assert {h.status for h in result.hosts} == {"changed"}
    assert all(worker_pid(lab, h) != pids[h] for h in HOSTS)
    assert all(app2_state(lab, h) == ("drain", 0) for h in HOSTS)


def test_the_agent_follows_a_reload_and_survives_its_session_being_killed(lab: Lab) -> None:
    assert {h.status for h in deploy(lab, lab_model()).hosts} <= {"changed", "unchanged"}
    channels = ChannelPool()
    try:
        [target] = channels.targets(lab.inventory_path, ["lb1"]).values()
        agent = channels.agent(target)

        def agent_pid() -> str:
            return worker_pid_of(agent.ask(target.haproxy_socket, "show info\n", 5))

        before = agent_pid()
        assert before == worker_pid(lab, "lb1").split(":")[1].strip()
        # A reload: the agent opens the socket per request, so it asks the new worker.
        lab.exec_on("lb1", [str(lab.host("lb1").haproxy_reload)])
        assert wait_for(lambda: agent_pid() != before, 10)
        # The SSH session dies (here: killed by its pid); the next request starts a new one.
        session = agent._process
        assert session is not None
        session.kill()
        session.wait()
        assert agent_pid() == worker_pid(lab, "lb1").split(":")[1].strip()
    finally:
        channels.close()
