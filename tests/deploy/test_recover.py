"""After a crash: unfinished deploys nobody runs are marked interrupted, live ones are not."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from controlplane import store
from controlplane.deploy import lock
from controlplane.deploy.lock import environment_lock
from controlplane.usecases import revisions
from controlplane.usecases.deployments import recover_interrupted

from ..support import EXAMPLE, SEED


@pytest.fixture
def sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    monkeypatch.setattr(lock, "LOCK_DIR", tmp_path / "locks")
    engine = store.make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    store.upgrade(engine)
    return store.session_factory(engine)


def running_deployment(sessions: sessionmaker[Session], environment: str) -> int:
    with sessions.begin() as session:
        revision = revisions.import_yaml(session, environment, EXAMPLE.read_text(), SEED, "m", None)
        deployment = store.create_deployment(session, revision, "ci")
        store.start_deployment(session, deployment.id)
        return deployment.id


def state(sessions: sessionmaker[Session], deployment_id: int) -> str:
    with sessions() as session:
        return store.get_deployment(session, deployment_id).state


def test_a_deploy_cut_short_by_a_crash_is_marked_interrupted(sessions) -> None:
    crashed = running_deployment(sessions, "prod")
    assert recover_interrupted(sessions) == [crashed]
    assert state(sessions, crashed) == "interrupted"
    with sessions() as session:
        events = store.list_events(session, crashed)
    assert "interrupted" in events[-1].message


def test_a_deploy_still_holding_its_lock_is_left_running(sessions) -> None:
    live = running_deployment(sessions, "prod")
    crashed = running_deployment(sessions, "staging")
    with environment_lock("prod"):  # another process is deploying prod right now
        assert recover_interrupted(sessions) == [crashed]
    assert state(sessions, live) == "running"
    assert state(sessions, crashed) == "interrupted"
