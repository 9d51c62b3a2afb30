"""Deployments started from the web app or the API: run in the background, recorded live.

The deployment row and its events live in the store, so any control-plane replica (and
any page) can follow a deploy another one runs; events are committed as they happen.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from pathlib import Path

from blinker import Namespace
from sqlalchemy.orm import Session, sessionmaker

from .. import store
from ..deploy import DeployEvent, DeployLocked, deploy_environment, environment_lock
from ..errors import CheckFailed, ModelInvalid
from ..store import Actor, Deployment
from .revisions import render_revision

FINAL_STATES = ("succeeded", "failed", "interrupted")
# Sent by run_deployment once a deployment reached its final state, with the app's session
# factory as sender and `deployment_id=`, `environment=`, `state=` (the alerts listen).
deployment_finished = Namespace().signal("lbctl.deployment-finished")


def start_deploy(
    sessions: sessionmaker[Session],
    environment: str,
    inventory: Path,
    actor: Actor,
    revision_number: int | None = None,
    lock_wait_s: float = 0.0,
) -> int:
    """Return the id of a new deployment of the revision (default: the newest), started now.

    Raises NotFound when the environment has no such revision.
    """
    with sessions.begin() as session:
        revision = (
            store.get_revision(session, environment, revision_number)
            if revision_number is not None
            else store.current_revision(session, environment)
        )
        if revision is None:
            raise store.NotFound("revision to deploy in environment", environment)
        deployment = store.create_deployment(session, revision, actor.name)
        store.record_audit(
            session,
            actor,
            "deploy.start",
            f"{environment} revision {revision.number}",
            {"deployment": deployment.id},
        )
        deployment_id = deployment.id
    worker = threading.Thread(
        target=run_deployment,
        args=(sessions, deployment_id, inventory, lock_wait_s),
        name=f"lbctl-deploy-{deployment_id}",
        daemon=True,
    )
    worker.start()
    return deployment_id


def run_deployment(
    sessions: sessionmaker[Session], deployment_id: int, inventory: Path, lock_wait_s: float
) -> None:
    """Run a queued deployment to its end, recording every event and the per-host results."""
    with sessions.begin() as session:
        deployment = store.start_deployment(session, deployment_id)
        revision = deployment.revision
        environment = deployment.environment

    def record(event: DeployEvent) -> None:
        with sessions.begin() as session:
            store.append_event(
                session, deployment_id, event.kind, event.host, event.task, event.message
            )

    state, results = "failed", []
    try:
        with sessions() as session:  # the revision's stored files are read from it
            rendered = render_revision(session, revision)
        record(DeployEvent("", "info", "render", f"rendered revision {revision.number}"))
        # Replicas sharing a PostgreSQL store exclude each other there; the file lock
        # inside deploy_environment covers deploys from this machine (CLI included).
        with store.deploy_lock(sessions.kw["bind"], environment, lock_wait_s):
            outcome = deploy_environment(
                rendered.loaded.model,
                rendered.rendered,
                inventory,
                environment,
                on_event=record,
                lock_wait_s=lock_wait_s,
            )
        state = "succeeded" if outcome.ok else "failed"
        results = [asdict(h) for h in outcome.hosts]
    except (ModelInvalid, CheckFailed, DeployLocked, store.StoreError, OSError) as exc:
        # StoreError: a stored file's key is missing (LBCTL_FILES_KEY), a lock is held...
        record(DeployEvent("", "failed", "deploy", str(exc)))
    except Exception as exc:  # a deploy thread must always leave a final state behind
        record(DeployEvent("", "failed", "deploy", f"internal error: {type(exc).__name__}: {exc}"))
    finally:
        with sessions.begin() as session:
            store.finish_deployment(session, deployment_id, state, results)
        deployment_finished.send(
            sessions, deployment_id=deployment_id, environment=environment, state=state
        )


def wait_for_deployment(
    sessions: sessionmaker[Session], deployment_id: int, timeout_s: float = 600.0
) -> Deployment:
    """Return the deployment once it reached a final state (or as it is after the timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with sessions() as session:
            deployment = store.get_deployment(session, deployment_id)
            if deployment.state in FINAL_STATES or time.monotonic() >= deadline:
                return deployment
        time.sleep(0.2)


def recover_interrupted(sessions: sessionmaker[Session]) -> list[int]:
    """Return the ids of unfinished deployments nobody runs any more, now marked interrupted.

    An environment's deploy holds its locks while it runs, so a free lock means its
    unfinished deployments were cut short (a crash, a kill); a deploy another replica is
    running keeps its lock and is left alone.
    """
    with sessions() as session:
        environments = store.unfinished_environments(session)
    marked: list[int] = []
    for environment in environments:
        try:
            with (
                store.deploy_lock(sessions.kw["bind"], environment),
                environment_lock(environment),
                sessions.begin() as session,
            ):
                marked += [d.id for d in store.mark_interrupted(session, environment=environment)]
        except (DeployLocked, store.StoreLocked):
            continue  # being deployed right now by another process or replica
    return marked
