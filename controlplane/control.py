"""Use cases over the versioned store, shared by the web UI, the REST API and the CLI.

Every function takes the caller's Session and flushes; the caller commits. Each change is
a new revision of the whole model and an audit entry saying who, what, when, from where.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace
from sqlalchemy.orm import Session

from . import store
from .deploy.change_plan import PlannedChange, plan_hosts
from .diff import FileDiff, diff_files
from .model import (
    LbModel,
    LoadedModel,
    dump_document_yaml,
    model_document,
    parse_document,
    validate_data,
)
from .model.secrets import mask_document, restore_secrets
from .render import render_model
from .service import RenderResult, render_loaded
from .store import Revision

DocumentEdit = Callable[[dict[str, Any]], None]

# Sent after each revision render with `seconds=` (the metrics' render histogram listens).
revision_rendered = Namespace().signal("lbctl.revision-rendered")


@dataclass(frozen=True)
class Actor:
    """Who asks for a change, and from where (for the audit log)."""

    name: str
    role: str
    remote_addr: str | None = None
    via: str = "web"  # web, api or cli


def current_revision(session: Session, environment: str) -> Revision | None:
    return store.current_revision(session, environment)


def revision_document(revision: Revision | None, masked: bool = True) -> dict[str, Any]:
    """Return the model document of a revision (empty without one), secrets masked."""
    if revision is None:
        return {}
    document = model_document(store.revision_model(revision))
    return mask_document(document) if masked else document


def save_document(
    session: Session,
    environment: str,
    document: dict[str, Any],
    actor: Actor,
    message: str,
    base_revision: int | None,
    action: str = "model.save",
) -> Revision:
    """Return the new revision holding `document` (audited as `action`).

    Raises ModelInvalid (every error with its field path) or StaleRevision (the document
    was edited from an older revision). Masked secrets keep their current values.
    """
    model = candidate_model(session, environment, document).model
    revision = store.save_revision(
        session, environment, model, actor.name, message or "(no message)", base_revision
    )
    _audit(session, actor, action, environment, revision, {"message": message})
    return revision


def edit_document(
    session: Session,
    environment: str,
    edit: DocumentEdit,
    actor: Actor,
    message: str,
    base_revision: int | None,
) -> Revision:
    """Return the new revision made by applying `edit` to the current document."""
    head = store.current_revision(session, environment)
    document = copy.deepcopy(revision_document(head, masked=False))
    edit(document)
    return save_document(session, environment, document, actor, message, base_revision)


def import_yaml(
    session: Session,
    environment: str,
    text: str | bytes,
    actor: Actor,
    message: str,
    base_revision: int | None,
) -> Revision:
    """Return the new revision holding a model given in the CLI's YAML format.

    An export from lbctl (secrets masked) imports back unchanged: masked secrets keep
    their current values. Raises ModelInvalid with line, column and field paths.
    """
    document = parse_document(text, source="import")
    return save_document(
        session, environment, document, actor, message or "Import", base_revision, "model.import"
    )


def export_yaml(revision: Revision) -> str:
    """Return a revision's model in the CLI's YAML format, secrets masked."""
    return dump_document_yaml(revision_document(revision, masked=True))


def rollback(
    session: Session, environment: str, number: int, actor: Actor, base_revision: int | None
) -> Revision:
    """Return a new revision equal to revision `number` (deploy it to roll the hosts back)."""
    revision = store.rollback_to(session, environment, number, actor.name, base_revision)
    _audit(session, actor, "model.rollback", environment, revision, {"to": number})
    return revision


def render_revision(revision: Revision, binary_check: bool = True) -> RenderResult:
    """Return the per-host files of a revision, proven by haproxy -c / keepalived -t."""
    started = time.monotonic()
    loaded = validate_data(revision_document(revision, masked=False), source="model")
    result = render_loaded(loaded, binary_check)
    revision_rendered.send(revision.environment, seconds=time.monotonic() - started)
    return result


def deployed_revision(session: Session, environment: str) -> Revision | None:
    """Return the revision of the environment's last successful deployment."""
    deployment = store.last_successful(session, environment)
    return deployment.revision if deployment else None


def diff_to_deployed(session: Session, environment: str) -> list[FileDiff]:
    """Return the per-host diff of the current revision against the last deployed one."""
    head = store.current_revision(session, environment)
    deployed = deployed_revision(session, environment)
    expected = _files(store.revision_model(head)) if head else {}
    actual = _files(store.revision_model(deployed)) if deployed else {}
    return diff_files(expected, actual)


def _files(model: LbModel) -> dict[str, dict[str, str]]:
    return {h.host: dict(h.files) for h in render_model(model).hosts}


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    environment: str,
    revision: Revision,
    detail: dict[str, Any],
) -> None:
    store.record_audit(
        session,
        actor.name,
        action,
        f"{environment} revision {revision.number}",
        detail | {"via": actor.via},
        actor.remote_addr,
    )


# --- Candidate documents (API validate / render / plan): nothing here writes. ---


@dataclass(frozen=True)
class Plan:
    """What saving a candidate document would change, and what deploying it would change."""

    loaded: LoadedModel
    current: Revision | None
    deployed: Revision | None
    against_current: list[FileDiff]  # candidate rendering vs the current revision's
    against_deployed: list[FileDiff]  # candidate rendering vs the last deployed revision's
    changes: list[PlannedChange] = field(default_factory=list)  # vs deployed: runtime/reload


def candidate_model(session: Session, environment: str, document: dict[str, Any]) -> LoadedModel:
    """Return the validated model of a document not yet saved; raises ModelInvalid.

    Masked secrets take the current revision's values, as save_document would.
    """
    head = store.current_revision(session, environment)
    document = restore_secrets(document, revision_document(head, masked=False))
    return validate_data(document, source="model")


def render_document(
    session: Session, environment: str, document: dict[str, Any], binary_check: bool = True
) -> RenderResult:
    """Return the per-host files of a candidate document, proven by the binaries."""
    return render_loaded(candidate_model(session, environment, document), binary_check)


def plan_document(session: Session, environment: str, document: dict[str, Any]) -> Plan:
    """Return the plan of a candidate document: validated, rendered, proven and diffed.

    Raises ModelInvalid or CheckFailed before any diff is made.
    """
    result = render_document(session, environment, document)
    candidate = {h.host: dict(h.files) for h in result.rendered.hosts}
    head = store.current_revision(session, environment)
    deployed = deployed_revision(session, environment)
    deployed_files = _files(store.revision_model(deployed)) if deployed else {}
    return Plan(
        changes=[c for h in plan_hosts(deployed_files, candidate) for c in h.changes],  # type: ignore[arg-type]
        loaded=result.loaded,
        current=head,
        deployed=deployed,
        against_current=diff_files(candidate, _files(store.revision_model(head)) if head else {}),
        against_deployed=diff_files(
            candidate, _files(store.revision_model(deployed)) if deployed else {}
        ),
    )
