"""The plan of a candidate document (POST /plan, `lbctl plan`), at the cost of the change.

What revisions.review_document answers, made from the current revision's cached forms:
the candidate is validated against the current revision's model (model/incremental.py),
rendered block by block into the current revision's files (render/incremental.py),
proven by its changed sections against files proven whole (section_proof.py: the current
revision's, else the deployed one's, else those this process last proved whole), and
compared with the current and the deployed renderings. At
50,000 servers a one-server change took about 5 s planned the full way (a render, two
whole-file haproxy -c, two whole-model dumps); see docs/scale.md for the figures now.

A candidate that sends a secret as a value is planned the full way
(revisions.review_document): its stand-ins make the diff say "changed" whether or not the
value is the stored one. Any other secret is a stored one (masked secrets are restored),
and the renderings compare secrets as their stand-ins would: equal values alike, and
diff.py prints no value; tests/usecases/test_plans.py compares both ways.

A saved revision is planned by its number (plan_revision): its save validated it, so
nothing is parsed or validated again; it is rendered block by block from a revision whose
rendering this process holds, and proven and diffed as a candidate is. A client that saves
and then plans sends the 5.5 MB document once.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from .. import store
from ..check import proven
from ..deploy.attached import attached_digests, attached_texts
from ..deploy.change_plan import plan_hosts
from ..diff import diff_files
from ..errors import ModelInvalid
from ..model import LbModel, LoadedModel
from ..model.config_files import FileContents
from ..model.secrets import explicit_secrets
from ..render import HAPROXY_FILE, Rendered, render_model
from ..render.incremental import EditedRendering, render_edit
from ..section_proof import ChangeProof, prove_change
from ..store import Revision
from ..store.revision_cache import REVISIONS
from . import revisions
from .revisions import CandidateReview
from .stored_files import checked, current_contents


@dataclass(frozen=True)
class Plan:
    """A candidate's review, and how its rendering was made and proven."""

    review: CandidateReview
    proof: ChangeProof | None  # None when planned the full way (whole files proven)
    rendering: EditedRendering | None = None

    def proof_summary(self) -> str:
        """Return "proved by section: N sections", "proved in full" or "proved before"."""
        return self.proof.summary() if self.proof is not None else "proved in full"


def plan_document(session: Session, environment: str, document: dict[str, Any]) -> Plan:
    """Return the plan of a candidate document: validated, rendered, proven and diffed.

    Raises ModelInvalid or CheckFailed before any diff is made, as review_document does.
    """
    if explicit_secrets(document):
        return Plan(revisions.review_document(session, environment, document), None)
    head = store.current_revision(session, environment)
    loaded, _canonical = revisions.candidate(session, environment, document)
    contents = current_contents(session, loaded.model)
    loaded = checked(loaded, contents, "model")
    edited = _rendering(session, head, loaded.model, contents)
    current = revisions.revision_rendering(session, head)[1] if head is not None else None
    return _planned(session, environment, loaded, edited, head, current)


def plan_revision(session: Session, environment: str, number: int) -> Plan:
    """Return the plan of saved revision `number`: what deploying it would change.

    Its save validated it: it is neither parsed nor validated again. Raises NotFound,
    ModelInvalid (a revision today's rules refuse) or CheckFailed before any diff is made.
    The diffs compare stored revisions' files, secrets masked, as GET /diff does.
    """
    revision = store.get_revision(session, environment, number)
    loaded = REVISIONS.loaded(revision)
    head = store.current_revision(session, environment)
    base = _rendered_base(session, revision, head)
    contents, rendered = revisions.revision_rendering(session, revision, base)
    loaded = checked(loaded, contents, f"{environment} revision {number}")
    if head is None or head.id == revision.id:
        current = rendered
    else:
        current = revisions.revision_rendering(session, head)[1]
    edited = EditedRendering(rendered, None, "a saved revision's rendering")
    plan = _planned(session, environment, loaded, edited, base or head, current)
    if plan.proof is not None and plan.proof.summary() == "proved in full":
        _PROVEN_BASES[environment] = weakref.ref(rendered)  # its own files passed whole
    return plan


def _rendered_base(session: Session, revision: Revision, head: Revision | None) -> Revision | None:
    """Return a revision other than `revision` whose rendering this process holds, to render
    `revision` from block by block: its parent, else the current one (None: `revision` is
    rendered the full way, unless its own rendering is held already)."""
    parent = session.get(Revision, revision.parent_id) if revision.parent_id else None
    for found in (parent, head):
        if found is None or found.id == revision.id:
            continue
        if REVISIONS.recall(found, "rendering") is not None:
            return found
    return None


# Per environment, the rendering this process last proved whole, while the revision cache
# holds it (a weak reference). A change is proven by its sections against files proven
# whole (section_proof.py); after a save the new current revision's files are not, and
# proving them whole took 0.6-2 s at 50,000 servers: a plan proves against these instead.
_PROVEN_BASES: dict[str, weakref.ref[Rendered]] = {}


def _proof_base(session: Session, environment: str, preferred: Revision | None) -> Rendered | None:
    """Return the rendering to prove a candidate against: the first of `preferred`'s, the
    deployed revision's and the last one proven whole that is held and was proven whole;
    else `preferred`'s (section_proof proves it whole first)."""
    for found in (preferred, revisions.deployed_revision(session, environment)):
        known = REVISIONS.recall(found, "rendering") if found is not None else None
        if known is not None and _proven_whole(known[1]):
            return known[1]
    last = _PROVEN_BASES.get(environment)
    rendered = last() if last is not None else None
    if rendered is not None and _proven_whole(rendered):
        return rendered
    if preferred is None:
        return None
    return revisions.revision_rendering(session, preferred)[1]


def _proven_whole(rendered: Rendered) -> bool:
    return all(
        proven(HAPROXY_FILE, h.files[HAPROXY_FILE], h.attached, rendered.files_dir) is not None
        for h in rendered.hosts
        if HAPROXY_FILE in h.files
    )


def _planned(
    session: Session,
    environment: str,
    loaded: LoadedModel,
    edited: EditedRendering,
    base: Revision | None,
    current: Rendered | None,
) -> Plan:
    """Return the plan of a validated, rendered candidate: proven by its sections against
    a rendering proven whole (`base`'s, or another's: _proof_base), diffed against
    `current` (the current revision's rendering) and the deployed revision's."""
    head = store.current_revision(session, environment)
    deployed = revisions.deployed_revision(session, environment)
    proof_base = _proof_base(session, environment, base)
    proof = prove_change(edited.rendered, proof_base)
    proof.report.raise_for_failures()
    if proof_base is not None and _proven_whole(proof_base):
        _PROVEN_BASES[environment] = weakref.ref(proof_base)
    candidate = {h.host: dict(h.files) for h in edited.rendered.hosts}
    current_files = _files(current)
    deployed_rendering = revisions.revision_rendering(session, deployed)[1] if deployed else None
    deployed_files = _files(deployed_rendering)
    plans = plan_hosts(
        deployed_files,
        candidate,
        attached_digests(deployed_rendering) if deployed_rendering else {},
        attached_texts(edited.rendered),
    )
    review = CandidateReview(
        changes=[c for h in plans for c in h.changes],
        loaded=loaded,
        current=head,
        deployed=deployed,
        against_current=diff_files(candidate, current_files),
        against_deployed=diff_files(candidate, deployed_files),
    )
    return Plan(review, proof, edited)


def _rendering(
    session: Session, head: Revision | None, model: LbModel, contents: FileContents
) -> EditedRendering:
    """Return the candidate's rendering, made block by block from the current revision's."""
    if head is None:
        return EditedRendering(render_model(model, contents), None, "no current revision")
    try:
        base_model = REVISIONS.loaded(head).model
    except ModelInvalid:
        return EditedRendering(render_model(model, contents), None, "current revision invalid")
    base_contents, base = revisions.revision_rendering(session, head)
    return render_edit(model, contents, base_model, base, base_contents)


def _files(rendered: Rendered | None) -> dict[str, dict[str, str]]:
    return {h.host: dict(h.files) for h in rendered.hosts} if rendered is not None else {}
