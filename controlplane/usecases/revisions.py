"""Use cases over the versioned store, shared by the web UI, the REST API and the CLI.

Every function takes the caller's Session and flushes; the caller commits. Each change is
a new revision of the whole model and an audit entry saying who, what, when, from where.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace
from sqlalchemy.orm import Session

from .. import store
from ..deploy.attached import attached_digests, attached_texts
from ..deploy.change_plan import PlannedChange, plan_hosts
from ..diff import FileDiff, diff_files
from ..errors import ModelInvalid
from ..model import (
    LbModel,
    LoadedModel,
    dump_document_yaml,
    model_document,
    parse_document,
    validate_data,
)
from ..model.config_files import FileContents
from ..model.incremental import edited_document, validate_edit
from ..model.secrets import (
    explicit_secrets,
    replace_secrets,
    secret_stand_in,
    secret_values,
)
from ..render import Rendered, render_model
from ..render.incremental import render_edit
from ..store import Actor, Revision
from ..store.revision_cache import REVISIONS, revision_key
from ..store.revision_json import ItemTexts, composed_json
from . import files
from .edit_base import editable_copy, head_base, restored_secrets
from .files import RenderResult, render_loaded
from .stored_files import checked, current_contents, revision_contents

DocumentEdit = Callable[[dict[str, Any]], None]

# The revision cache's name for a revision's item texts (store/revision_json.py).
ITEM_TEXTS = "item-json"

# Sent after each revision render with `seconds=` (the metrics' render histogram listens).
revision_rendered = Namespace().signal("lbctl.revision-rendered")


def revision_document(revision: Revision | None, masked: bool = True) -> dict[str, Any]:
    """Return the model document of a revision (empty without one), secrets masked.

    The document is shared (computed once per revision): copy it before changing it.
    """
    if revision is None:
        return {}
    return REVISIONS.document(revision, masked)


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
    was edited from an older revision). Masked secrets keep their current values; a
    secret sent as a value replaces the stored one, even when it is the same, and the
    new revision's hash then differs from the old one's (docs/security.md, "Secrets").
    """
    loaded, canonical = candidate(session, environment, document)
    replaced = sorted(str(name) for name in explicit_secrets(document))
    content, texts = composed_json(
        canonical, _item_texts(store.current_revision(session, environment))
    )
    revision = store.save_revision(
        session,
        environment,
        loaded.model,
        actor.name,
        message or "(no message)",
        base_revision,
        secrets_replaced=bool(replaced),
        document=canonical,
        content=content,
    )
    REVISIONS.seed(revision, loaded, canonical)  # its next read needs no validation
    REVISIONS.remember(revision, ITEM_TEXTS, lambda: texts)  # nor its next save a dump
    detail: dict[str, Any] = {"message": message}
    if replaced:
        detail["secrets_replaced"] = replaced  # the secrets' places, never the values
    _audit(session, actor, action, environment, revision, detail)
    return revision


def _item_texts(head: Revision | None) -> ItemTexts:
    """Return the canonical JSON texts of the current revision's items (made once)."""
    if head is None or not REVISIONS.enabled:
        return {}
    try:
        document = REVISIONS.document(head, masked=False)
    except ModelInvalid:
        return {}
    return REVISIONS.remember(head, ITEM_TEXTS, lambda: composed_json(document, {})[1])


def edit_document(
    session: Session,
    environment: str,
    edit: DocumentEdit,
    actor: Actor,
    message: str,
    base_revision: int | None,
    touches: tuple[str, str | None] | None = None,
) -> Revision:
    """Return the new revision made by applying `edit` to the current document.

    The edit sees the secrets masked, so a secret it does not set stays kept. `touches`
    (a top-level list and the name of its item, None for a new one) says the edit changes
    only that list and that item: only they are copied, not the whole document.
    """
    head = store.current_revision(session, environment)
    document = editable_copy(revision_document(head, masked=True), touches)
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


def render_revision(
    session: Session, revision: Revision, binary_check: bool = True
) -> RenderResult:
    """Return the per-host files of a revision, proven by haproxy -c / keepalived -t.

    The files it declares come from the store: the versions the revision recorded.
    """
    started = time.monotonic()
    loaded = REVISIONS.loaded(revision)
    contents, rendered = revision_rendering(session, revision)
    # The content checks run every time: a certificate can expire while the revision stays.
    loaded = checked(loaded, contents, f"{revision.environment} revision {revision.number}")
    # Proving runs every time it is asked for (a deploy, POST /render): it is the one step
    # whose answer depends on the binaries installed, not on the revision alone.
    report = files.check_rendered(rendered) if binary_check else None
    if report is not None:
        report.raise_for_failures()
    result = RenderResult(loaded, rendered, report)
    revision_rendered.send(revision.environment, seconds=time.monotonic() - started)
    return result


def revision_rendering(
    session: Session, revision: Revision, base: Revision | None = None
) -> tuple[FileContents, Rendered]:
    """Return a stored revision's file contents and rendering, made once per revision.

    `base` names the revision this one was edited from (its parent when not given): when
    the base's rendering is already made, this one is made from it block by block
    (render/incremental.py: the same files, at the cost of the edit; 1 s at 50,000 servers
    the whole way, as the first plan after each save rendered the new current revision).
    """

    def render() -> tuple[FileContents, Rendered]:
        model = REVISIONS.loaded(revision).model
        contents = revision_contents(session, revision, model)
        nonlocal base
        if base is None and revision.parent_id is not None:
            base = session.get(Revision, revision.parent_id)
        known = REVISIONS.recall(base, "rendering") if base is not None else None
        if base is not None and known is not None:
            base_contents, base_rendered = known
            base_model = REVISIONS.loaded(base).model  # rendered, so it validated
            edited = render_edit(model, contents, base_model, base_rendered, base_contents)
            return contents, edited.rendered
        return contents, render_model(model, contents)

    return REVISIONS.remember(revision, "rendering", render)


def deployed_revision(session: Session, environment: str) -> Revision | None:
    """Return the revision of the environment's last successful deployment."""
    deployment = store.last_successful(session, environment)
    return deployment.revision if deployment else None


def diff_to_deployed(session: Session, environment: str) -> list[FileDiff]:
    """Return the per-host diff of the current revision against the last deployed one.

    The list is shared by every caller (made once per pair of revisions): do not change it.
    """
    head = store.current_revision(session, environment)
    deployed = deployed_revision(session, environment)
    if head is None:
        return diff_files({}, _revision_files(session, deployed) if deployed else {})

    def compare() -> list[FileDiff]:
        actual = _revision_files(session, deployed) if deployed else {}
        return diff_files(_revision_files(session, head), actual)

    # Both revisions are immutable: the diff is made once per pair (a shared list).
    against = revision_key(deployed) if deployed else "nothing"
    return REVISIONS.remember(head, f"diff-to:{against}", compare)


def _revision_files(session: Session, revision: Revision) -> dict[str, dict[str, str]]:
    _contents, rendered = revision_rendering(session, revision)
    return {h.host: dict(h.files) for h in rendered.hosts}


def _files(model: LbModel, contents: FileContents | None = None) -> dict[str, dict[str, str]]:
    return {h.host: dict(h.files) for h in render_model(model, contents).hosts}


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    environment: str,
    revision: Revision,
    detail: dict[str, Any],
) -> None:
    store.record_audit(session, actor, action, f"{environment} revision {revision.number}", detail)


# --- Candidate documents (API validate / render / plan): nothing here writes. ---


@dataclass(frozen=True)
class CandidateReview:
    """What saving a candidate document would change, and what deploying it would change."""

    loaded: LoadedModel
    current: Revision | None
    deployed: Revision | None
    against_current: list[FileDiff]  # candidate rendering vs the current revision's
    against_deployed: list[FileDiff]  # candidate rendering vs the last deployed revision's
    changes: list[PlannedChange] = field(default_factory=list)  # vs deployed: runtime/reload


def candidate_model(session: Session, environment: str, document: dict[str, Any]) -> LoadedModel:
    """Return the validated model of a document not yet saved; raises ModelInvalid.

    Masked secrets take the current revision's values, as save_document would. Validation
    costs the change, as in `candidate`, and no canonical document is made (a dump of the
    changed objects and a copy of the lists: 0.03-0.05 s at 50,000 servers).
    """
    head = store.current_revision(session, environment)
    return validate_edit(restored_secrets(document, head), head_base(head), source="model")


def candidate(
    session: Session, environment: str, document: dict[str, Any]
) -> tuple[LoadedModel, dict[str, Any]]:
    """Return a document's validated model and its canonical form (model_document).

    Validation costs the change: the objects equal to the current revision's are taken
    from its cached model (model/incremental.py); the errors are a full validation's.
    """
    head = store.current_revision(session, environment)
    base = head_base(head)
    document = restored_secrets(document, head)
    loaded = validate_edit(document, base, source="model")
    canonical = (
        edited_document(loaded.model, document, base)
        if base is not None
        else model_document(loaded.model)
    )
    return loaded, canonical


def render_document(
    session: Session, environment: str, document: dict[str, Any], binary_check: bool = True
) -> RenderResult:
    """Return the per-host files of a candidate document, proven by the binaries.

    The files it declares are the store's current versions (those saving it would use).
    """
    loaded = candidate_model(session, environment, document)
    contents = current_contents(session, loaded.model)
    return render_loaded(checked(loaded, contents, "model"), binary_check, contents=contents)


def review_document(
    session: Session, environment: str, document: dict[str, Any]
) -> CandidateReview:
    """Return the plan of a candidate document: validated, rendered, proven and diffed.

    Raises ModelInvalid or CheckFailed before any diff is made. The diffs never compare
    a secret the document sends as a value with a stored one: it shows as replaced, as
    if it differed, whatever it is (see _SecretStandIns). A masked secret is the stored
    one and compares truly.
    """
    result = render_document(session, environment, document)
    head = store.current_revision(session, environment)
    deployed = deployed_revision(session, environment)
    if not _any_secrets(result.loaded.model, head, deployed):
        # Nothing to stand in for: the renderings made (and cached) already compare truly.
        candidate = {h.host: dict(h.files) for h in result.rendered.hosts}
        current_files = _revision_files(session, head) if head else {}
        deployed_rendering = revision_rendering(session, deployed)[1] if deployed else None
    else:
        stand_ins = _SecretStandIns()
        candidate = _files(
            stand_ins.for_candidate(
                model_document(result.loaded.model), explicit_secrets(document)
            ),
            current_contents(session, result.loaded.model),
        )
        current_files = _stored_files(session, stand_ins, head) if head else {}
        deployed_rendering = _stored_rendering(session, stand_ins, deployed) if deployed else None
    deployed_files = (
        {h.host: dict(h.files) for h in deployed_rendering.hosts} if deployed_rendering else {}
    )
    # Attached files (certificates, maps, ...) are planned by digest: a content-only
    # change is `runtime` (no reload); their texts never reach a diff.
    plans = plan_hosts(
        deployed_files,
        candidate,
        attached_digests(deployed_rendering) if deployed_rendering else {},
        attached_texts(result.rendered),
    )
    return CandidateReview(
        changes=[c for h in plans for c in h.changes],
        loaded=result.loaded,
        current=head,
        deployed=deployed,
        against_current=diff_files(candidate, current_files),
        against_deployed=diff_files(candidate, deployed_files),
    )


def _any_secrets(model: LbModel, *stored: Revision | None) -> bool:
    """Return whether the candidate or a stored revision holds a secret (a password)."""
    if secret_values(model_document(model)):
        return True
    return any(secret_values(REVISIONS.document(r, masked=False)) for r in stored if r)


def _stored_files(
    session: Session, stand_ins: _SecretStandIns, revision: Revision
) -> dict[str, dict[str, str]]:
    return {h.host: dict(h.files) for h in _stored_rendering(session, stand_ins, revision).hosts}


def _stored_rendering(session: Session, stand_ins: _SecretStandIns, revision: Revision) -> Rendered:
    model = stand_ins.for_stored(revision)
    return render_model(model, revision_contents(session, revision, model))


class _SecretStandIns:
    """Gives each secret a stand-in (a valid password) for diffs against a posted document.

    Equal stored secrets get equal stand-ins, so the current and the deployed revision
    still compare truly. A secret the caller sent as a value gets REPLACED_SECRET, which no
    stored secret's stand-in equals: the diff says "changed" whether or not it is the
    stored value, so the answer is the same for a right and a wrong guess.
    """

    REPLACED_SECRET = "replaced"

    def __init__(self) -> None:
        self._stand_ins: dict[str, str] = {}

    def for_stored(self, revision: Revision) -> LbModel:
        document = revision_document(revision, masked=False)
        kept = {
            place: secret_stand_in(place, self._kept(value))
            for place, value in secret_values(document).items()
        }
        return validate_data(replace_secrets(document, kept), source="model").model

    def for_candidate(self, document: dict[str, Any], sent: set[str | None]) -> LbModel:
        values = {
            place: secret_stand_in(
                place, self.REPLACED_SECRET if place in sent else self._kept(value)
            )
            for place, value in secret_values(document).items()
        }
        return validate_data(replace_secrets(document, values), source="model").model

    def _kept(self, value: str) -> str:
        return self._stand_ins.setdefault(value, f"kept{len(self._stand_ins)}")
