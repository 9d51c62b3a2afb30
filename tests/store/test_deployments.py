"""Deployment records: queued -> running -> succeeded | failed, an ordered event log,
and interrupted when the control plane restarts in the middle of one."""

from __future__ import annotations

import pytest

from controlplane.store import (
    InvalidTransition,
    NotFound,
    append_event,
    create_deployment,
    finish_deployment,
    get_deployment,
    last_successful,
    list_deployments,
    list_events,
    mark_interrupted,
    save_revision,
    start_deployment,
)

RESULTS = [
    {"host": "lb2", "status": "changed", "seconds": 3.14159},
    {"host": "lb1", "status": "failed", "seconds": 1.5, "failed_step": "check", "error": "bad"},
]


@pytest.fixture
def revision(session, example_model):
    return save_revision(session, "prod", example_model, "alice", "initial", None)


def test_a_deployment_goes_from_queued_to_running_to_its_outcome(session, revision):
    deployment = create_deployment(session, revision, "bob")
    assert (deployment.state, deployment.started_at) == ("queued", None)

    start_deployment(session, deployment.id)
    assert deployment.state == "running" and deployment.started_at is not None

    finish_deployment(session, deployment.id, "failed", RESULTS)
    session.commit()
    session.expire_all()

    stored = get_deployment(session, deployment.id)
    assert (stored.state, stored.requested_by, stored.environment) == ("failed", "bob", "prod")
    assert stored.revision.number == 1
    assert stored.finished_at >= stored.started_at >= stored.created_at
    assert stored.host_results == [
        {"host": "lb2", "status": "changed", "seconds": 3.142, "failed_step": "", "error": ""},
        {"host": "lb1", "status": "failed", "seconds": 1.5, "failed_step": "check", "error": "bad"},
    ]


def test_states_only_move_forward(session, revision):
    deployment = create_deployment(session, revision, "bob")
    with pytest.raises(InvalidTransition):
        finish_deployment(session, deployment.id, "succeeded", [])
    start_deployment(session, deployment.id)
    with pytest.raises(InvalidTransition):
        start_deployment(session, deployment.id)
    with pytest.raises(InvalidTransition):
        finish_deployment(session, deployment.id, "queued", [])
    finish_deployment(session, deployment.id, "succeeded", [])
    with pytest.raises(InvalidTransition):
        finish_deployment(session, deployment.id, "failed", [])


def test_events_are_numbered_in_order_and_can_be_read_from_a_cursor(session, revision):
    deployment = create_deployment(session, revision, "bob")
    start_deployment(session, deployment.id)
    for index, host in enumerate(["lb2", "lb2", "lb1", "lb1"]):
        append_event(session, deployment.id, "ok", host=host, task=f"step {index}")
    session.commit()

    events = list_events(session, deployment.id)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert [e.task for e in events] == ["step 0", "step 1", "step 2", "step 3"]
    assert [e.seq for e in list_events(session, deployment.id, after_seq=2)] == [3, 4]
    assert all(e.at.tzinfo is not None for e in events)


def test_events_of_different_deployments_are_numbered_separately(session, revision):
    first = create_deployment(session, revision, "bob")
    second = create_deployment(session, revision, "bob")
    append_event(session, first.id, "info", message="a")
    assert append_event(session, second.id, "info", message="b").seq == 1


def test_last_successful_is_the_newest_succeeded_deployment_of_the_environment(
    session, revision, example_model
):
    assert last_successful(session, "prod") is None
    good = create_deployment(session, revision, "bob")
    start_deployment(session, good.id)
    finish_deployment(session, good.id, "succeeded", [])
    newer = save_revision(session, "prod", example_model, "alice", "second", 1)
    bad = create_deployment(session, newer, "bob")
    start_deployment(session, bad.id)
    finish_deployment(session, bad.id, "failed", [])
    other = save_revision(session, "staging", example_model, "alice", "s", None)
    elsewhere = create_deployment(session, other, "bob")
    start_deployment(session, elsewhere.id)
    finish_deployment(session, elsewhere.id, "succeeded", [])

    assert last_successful(session, "prod").id == good.id
    assert [d.id for d in list_deployments(session, "prod")] == [bad.id, good.id]
    assert len(list_deployments(session)) == 3


def test_unfinished_deployments_are_marked_interrupted_on_restart(session, revision):
    queued = create_deployment(session, revision, "bob")
    running = create_deployment(session, revision, "bob")
    start_deployment(session, running.id)
    append_event(session, running.id, "task", host="lb1", task="install")
    done = create_deployment(session, revision, "bob")
    start_deployment(session, done.id)
    finish_deployment(session, done.id, "succeeded", [])
    session.commit()

    marked = mark_interrupted(session)
    session.commit()

    assert [d.id for d in marked] == [queued.id, running.id]
    assert get_deployment(session, queued.id).state == "interrupted"
    assert get_deployment(session, running.id).finished_at is not None
    assert get_deployment(session, done.id).state == "succeeded"
    log = list_events(session, running.id)
    assert [e.kind for e in log] == ["task", "info"]
    assert log[-1].message.startswith("interrupted")
    assert mark_interrupted(session) == []


def test_getting_a_missing_deployment_raises_not_found(session):
    with pytest.raises(NotFound):
        get_deployment(session, 404)
