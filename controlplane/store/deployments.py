"""Deployment records: which revision went where, by whom, how it ended, and its event log.

A deployment moves queued -> running -> succeeded | failed; one left queued or running
when the control plane died becomes interrupted. Functions here flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import InvalidTransition, NotFound
from .tables import Deployment, DeploymentEvent, Revision, utc_now

UNFINISHED = ("queued", "running")
FINISHED = ("succeeded", "failed")
INTERRUPTED_MESSAGE = "interrupted: the control plane stopped while this deploy was unfinished"


def create_deployment(session: Session, revision: Revision, requested_by: str) -> Deployment:
    """Return a new queued deployment of the revision to its environment."""
    deployment = Deployment(
        environment=revision.environment,
        revision=revision,
        requested_by=requested_by,
        state="queued",
    )
    session.add(deployment)
    session.flush()
    return deployment


def start_deployment(session: Session, deployment_id: int) -> Deployment:
    """Return the deployment, now running; raises InvalidTransition unless it was queued."""
    deployment = get_deployment(session, deployment_id)
    if deployment.state != "queued":
        raise InvalidTransition(deployment_id, deployment.state, "running")
    deployment.state = "running"
    deployment.started_at = utc_now()
    session.flush()
    return deployment


def finish_deployment(
    session: Session,
    deployment_id: int,
    state: str,
    host_results: Iterable[Mapping[str, Any]],
) -> Deployment:
    """Return the running deployment, now succeeded or failed with its per-host results.

    Each result has `host` and `status`, and may have `seconds`, `failed_step`, `error`
    (the fields of the deploy step's HostResult; pass `dataclasses.asdict(result)`).
    """
    deployment = get_deployment(session, deployment_id)
    if state not in FINISHED or deployment.state != "running":
        raise InvalidTransition(deployment_id, deployment.state, state)
    deployment.state = state
    deployment.finished_at = utc_now()
    deployment.host_results = [_host_result(r) for r in host_results]
    session.flush()
    return deployment


def append_event(
    session: Session,
    deployment_id: int,
    kind: str,
    host: str = "",
    task: str = "",
    message: str = "",
    at: datetime | None = None,
) -> DeploymentEvent:
    """Return the event appended to the deployment's log, numbered after the last one."""
    last = session.scalar(
        select(func.max(DeploymentEvent.seq)).where(DeploymentEvent.deployment_id == deployment_id)
    )
    event = DeploymentEvent(
        deployment_id=deployment_id,
        seq=(last or 0) + 1,
        at=at or utc_now(),
        host=host,
        task=task,
        kind=kind,
        message=message,
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session, deployment_id: int, after_seq: int = 0, limit: int = 1000
) -> list[DeploymentEvent]:
    """Return the deployment's events after `after_seq`, oldest first (a stream cursor)."""
    return list(
        session.scalars(
            select(DeploymentEvent)
            .where(DeploymentEvent.deployment_id == deployment_id, DeploymentEvent.seq > after_seq)
            .order_by(DeploymentEvent.seq)
            .limit(limit)
        )
    )


def get_deployment(session: Session, deployment_id: int) -> Deployment:
    """Return the deployment with this id; raises NotFound."""
    deployment = session.get(Deployment, deployment_id)
    if deployment is None:
        raise NotFound("deployment", str(deployment_id))
    return deployment


def list_deployments(
    session: Session, environment: str | None = None, limit: int = 50, offset: int = 0
) -> list[Deployment]:
    """Return a page of deployments (of one environment, or all), newest first."""
    query = select(Deployment).order_by(Deployment.id.desc()).limit(limit).offset(offset)
    if environment is not None:
        query = query.where(Deployment.environment == environment)
    return list(session.scalars(query))


def last_successful(session: Session, environment: str) -> Deployment | None:
    """Return the environment's most recently finished successful deployment, if any."""
    return session.scalars(
        select(Deployment)
        .where(Deployment.environment == environment, Deployment.state == "succeeded")
        .order_by(Deployment.finished_at.desc(), Deployment.id.desc())
        .limit(1)
    ).first()


def mark_interrupted(
    session: Session, reason: str = INTERRUPTED_MESSAGE, environment: str | None = None
) -> list[Deployment]:
    """Return every queued or running deployment (of `environment`), now interrupted.

    Called when the control plane starts, for environments nobody is deploying (their
    deploy locks are free): a deploy unfinished there was cut short by a stop or crash.
    """
    query = select(Deployment).where(Deployment.state.in_(UNFINISHED))
    if environment is not None:
        query = query.where(Deployment.environment == environment)
    stuck = list(session.scalars(query.order_by(Deployment.id)))
    now = utc_now()
    for deployment in stuck:
        deployment.state = "interrupted"
        deployment.finished_at = now
        append_event(session, deployment.id, "info", message=reason, at=now)
    session.flush()
    return stuck


def unfinished_environments(session: Session) -> list[str]:
    """Return the environments that have a queued or running deployment."""
    query = select(Deployment.environment).where(Deployment.state.in_(UNFINISHED)).distinct()
    return sorted(session.scalars(query))


def _host_result(result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "host": str(result["host"]),
        "status": str(result["status"]),
        "seconds": round(float(result.get("seconds", 0.0)), 3),
        "failed_step": str(result.get("failed_step", "")),
        "error": str(result.get("error", "")),
    }
