"""A change to a proven haproxy.cfg is proven by its changed sections, with the real binary:
what the section proof refuses, the full proof refuses, with the same message."""

from __future__ import annotations

import copy
import re
from typing import Any

from controlplane.check import check_file, check_rendered, proven
from controlplane.model import LbModel, model_document, validate_data
from controlplane.model.incremental import Base, validate_edit
from controlplane.render import HAPROXY_FILE, Rendered, render_model
from controlplane.render.incremental import render_edit
from controlplane.section_proof import prove_change, reduce_change
from tests.support import EXAMPLE, load_yaml, needs_binaries

pytestmark = needs_binaries


def _base() -> tuple[Base, Rendered]:
    model = validate_data(load_yaml(EXAMPLE)).model
    rendered = render_model(model)
    assert not check_rendered(rendered).failures  # proven whole: remembered
    return Base(model, model_document(model)), rendered


def _edit(base: Base, change: Any) -> LbModel:
    document = copy.deepcopy(base.document)
    change(document)
    return validate_edit(document, base).model


def _candidate(base: Base, rendered: Rendered, change: Any) -> Rendered:
    model = _edit(base, change)
    found = render_edit(model, None, base.model, rendered, None)
    assert not found.full, found.why
    return found.rendered


def _reason(output: str) -> str:
    """An alert without its place (file and line differ between the two files)."""
    return re.sub(r"\S+haproxy\.cfg:\d+", "", output.split("\n")[0])


def test_a_one_server_change_is_proven_by_its_section() -> None:
    base, rendered = _base()
    candidate = _candidate(base, rendered, lambda d: d["pools"][0]["servers"][0].update(weight=7))
    proof = prove_change(candidate, rendered)
    assert proof.report.failures == []
    methods = {(p.file, p.method, p.sections) for p in proof.files}
    assert methods == {(HAPROXY_FILE, "sections", 1), ("keepalived.conf", "proven before", 0)}
    assert proof.summary() == f"proved by section: {len(candidate.hosts)} sections"


def test_a_frontend_change_is_proven_with_the_backends_it_routes_to_as_stubs() -> None:
    base, rendered = _base()
    candidate = _candidate(base, rendered, lambda d: d["frontends"][0].update(maxconn=321))
    text = candidate.hosts[0].files[HAPROXY_FILE]
    reduced = reduce_change(text, rendered.hosts[0].files[HAPROXY_FILE])
    assert reduced is not None and reduced.changed == [f"frontend {base.model.frontends[0].name}"]
    assert "maxconn 321" in reduced.text
    pool = base.model.frontends[0].default_pool
    stub = reduced.text.split(f"\nbackend {pool}\n", 1)[1].split("\n\n", 1)[0]
    assert stub.strip().split("\n") == ["mode http"]  # a stub: its mode, no server
    assert not prove_change(candidate, rendered).report.failures


def test_a_change_haproxy_refuses_fails_the_section_proof_as_the_full_proof() -> None:
    base, rendered = _base()
    pool = base.model.pools[0].name

    def refused(document: dict[str, Any]) -> None:
        document["pools"][0]["extra"] = ["balance no-such-algorithm"]

    candidate = _candidate(base, rendered, refused)
    host = candidate.hosts[0]
    reduced = reduce_change(host.files[HAPROXY_FILE], rendered.hosts[0].files[HAPROXY_FILE])
    assert reduced is not None and reduced.changed == [f"backend {pool}"]
    by_section = check_file(host.host, HAPROXY_FILE, reduced.text)
    whole = check_file(host.host, HAPROXY_FILE, host.files[HAPROXY_FILE])
    assert not by_section.ok and not whole.ok
    assert "no-such-algorithm" in by_section.output
    assert _reason(by_section.output) == _reason(whole.output)

    proof = prove_change(candidate, rendered)
    failures = proof.report.failures
    assert failures and {f.file for f in failures} == {HAPROXY_FILE}
    full = check_rendered(candidate).failures
    assert [(f.host, f.output) for f in failures] == [(f.host, f.output) for f in full]


def test_a_base_never_proven_is_proven_whole_once() -> None:
    base, rendered = _base()
    unproven = render_edit(
        _edit(base, lambda d: d["pools"][1]["servers"][0].update(weight=3)),
        None,
        base.model,
        rendered,
        None,
    ).rendered
    candidate = render_edit(
        _edit(base, lambda d: d["pools"][1]["servers"][0].update(weight=4)),
        None,
        base.model,
        rendered,
        None,
    ).rendered
    texts = [h.files[HAPROXY_FILE] for h in unproven.hosts]
    assert [proven(HAPROXY_FILE, t, {}, unproven.files_dir) for t in texts] == [None, None]
    proof = prove_change(candidate, unproven)
    assert {p.method for p in proof.files if p.file == HAPROXY_FILE} == {"sections"}
    assert all(proven(HAPROXY_FILE, t, {}, unproven.files_dir) for t in texts)
