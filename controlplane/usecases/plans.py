"""The plan of a candidate document (POST /plan, `lbctl plan`), at the cost of the change.

What revisions.review_document answers, made from the current revision's cached forms:
the candidate is validated against the current revision's model (model/incremental.py),
rendered block by block into the current revision's files (render/incremental.py),
proven by its changed sections against those files when they were proven whole
(section_proof.py), and compared with the current and the deployed renderings. At
50,000 servers a one-server change took about 5 s planned the full way (a render, two
whole-file haproxy -c, two whole-model dumps); see docs/scale.md for the figures now.

A candidate that sends a secret as a value is planned the full way
(revisions.review_document): its stand-ins make the diff say "changed" whether or not the
value is the stored one. Any other secret is a stored one (masked secrets are restored),
and the renderings compare secrets as their stand-ins would: equal values alike, and
diff.py prints no value; tests/usecases/test_plans.py compares both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from .. import store
from ..deploy.attached import attached_digests, attached_texts
from ..deploy.change_plan import plan_hosts
from ..diff import diff_files
from ..errors import ModelInvalid
from ..model import LbModel
from ..model.config_files import FileContents
from ..model.secrets import explicit_secrets
from ..render import Rendered, render_model
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
    deployed = revisions.deployed_revision(session, environment)
    loaded, _canonical = revisions.candidate(session, environment, document)
    contents = current_contents(session, loaded.model)
    loaded = checked(loaded, contents, "model")
    edited = _rendering(session, head, loaded.model, contents)
    base = revisions.revision_rendering(session, head)[1] if head is not None else None
    proof = prove_change(edited.rendered, base)
    proof.report.raise_for_failures()
    candidate = {h.host: dict(h.files) for h in edited.rendered.hosts}
    current_files = _files(base)
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
