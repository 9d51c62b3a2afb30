"""Incremental validation gives a full validation's answer: the same model and warnings, or
the same errors in the same order (hypothesis: random edits of random valid documents,
many of which break a field, a reference or a name)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from controlplane.errors import ModelInvalid
from controlplane.model import model_document, validate_data
from controlplane.model.incremental import Base, Reuse, edited_document, validate_edit
from controlplane.model.rules import check_model
from controlplane.model.schema import Pool
from tests.model.mutations import Mutation, invalid_documents
from tests.model.strategies import valid_documents
from tests.support import EXAMPLE, load_yaml

_LISTS = ("lb_hosts", "vip_pairs", "health_checks", "pools", "frontends")
_SERVER_VALUES = {
    "weight": st.integers(-5, 300),
    "port": st.integers(-1, 70000),
    "address": st.sampled_from(["198.18.9.9", "not an address", "", "app.internal"]),
    "backup": st.booleans(),
    "state": st.sampled_from(["ready", "drain", "maint", "sleeping"]),
    "name": st.sampled_from(["s1", "s2", "x y", "dup"]),
}


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        loaded = run()
    except ModelInvalid as invalid:
        return "invalid", ([str(e) for e in invalid.errors], invalid.source)
    return "valid", (loaded.model, [str(w) for w in loaded.warnings])


def _base(document: dict[str, Any]) -> Base:
    loaded = validate_data(document)
    return Base(loaded.model, model_document(loaded.model), loaded.warnings)


def _stored_base(document: dict[str, Any]) -> Base:
    """Return the base a stored revision of `document` gives: validated from its own
    canonical document, so the fields its objects were given are those the document holds."""
    return _base(model_document(validate_data(document).model))


@st.composite
def edits(draw: st.DrawFn) -> tuple[Base, dict[str, Any]]:
    """Return a base and an edit of its document: items replaced from another valid
    document, deleted, duplicated, moved, and server fields set to any value."""
    base = _base(draw(valid_documents()))
    other = draw(valid_documents())
    edited = copy.deepcopy(base.document)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(_LISTS))
        items = edited.setdefault(kind, [])
        action = draw(st.sampled_from(["replace", "delete", "duplicate", "move", "server"]))
        if action == "server" and edited.get("pools"):
            pool = draw(st.sampled_from(edited["pools"]))
            if pool.get("servers"):
                server = draw(st.sampled_from(pool["servers"]))
                key = draw(st.sampled_from(sorted(_SERVER_VALUES)))
                server[key] = draw(_SERVER_VALUES[key])
        elif action == "replace" and other.get(kind):
            item = copy.deepcopy(draw(st.sampled_from(other[kind])))
            if items and draw(st.booleans()):
                items[draw(st.integers(0, len(items) - 1))] = item
            else:
                items.append(item)
        elif action == "delete" and items:
            del items[draw(st.integers(0, len(items) - 1))]
        elif action == "duplicate" and items:
            items.append(copy.deepcopy(draw(st.sampled_from(items))))
        elif action == "move" and len(items) > 1:
            items.insert(0, items.pop())
        if not items:
            edited.pop(kind)
    return base, edited


@given(edits())
def test_an_edit_validates_as_a_full_validation_does(case: tuple[Base, dict[str, Any]]) -> None:
    base, edited = case
    full = _outcome(lambda: validate_data(copy.deepcopy(edited), "model"))
    reuse = Reuse()
    assert _outcome(lambda: validate_edit(edited, base, "model", reuse)) == full
    event(f"{full[0]}, {'full' if reuse.full else 'incremental'}")


@given(edits())
def test_an_edited_model_dumps_as_a_full_dump_does(case: tuple[Base, dict[str, Any]]) -> None:
    base, edited = case
    try:
        model = validate_edit(edited, base).model
    except ModelInvalid:
        return
    assert edited_document(model, edited, base) == model_document(model)


@given(base=valid_documents(), mutation=invalid_documents())
def test_a_broken_document_gets_a_full_validations_errors(
    base: dict[str, Any], mutation: Mutation
) -> None:
    full = _outcome(lambda: validate_data(mutation.document, "model"))
    assert full[0] == "invalid"
    assert _outcome(lambda: validate_edit(mutation.document, _base(base), "model")) == full


def test_a_one_server_edit_validates_only_its_pool() -> None:
    base = _base(load_yaml(EXAMPLE))
    edited = copy.deepcopy(base.document)
    edited["pools"][0]["servers"][0]["weight"] = 7
    reuse = Reuse()
    model = validate_edit(edited, base, reuse=reuse).model
    assert model.pools[0].servers[0].weight == 7
    assert (reuse.validated, reuse.full) == (1, False)
    assert model.pools[1:] == base.model.pools[1:]
    assert all(a is b for a, b in zip(model.frontends, base.model.frontends, strict=True))


def test_an_edit_that_breaks_a_field_is_validated_the_full_way() -> None:
    base = _base(load_yaml(EXAMPLE))
    edited = copy.deepcopy(base.document)
    edited["pools"][0]["servers"][0]["port"] = 0
    reuse = Reuse()
    outcome = _outcome(lambda: validate_edit(edited, base, "model", reuse))
    assert reuse.full
    assert outcome == _outcome(lambda: validate_data(edited, "model"))
    assert "port" in outcome[1][0][0]


# Values for the fields no cross-object rule reads, valid and not, given or left out.
_BLIND_VALUES = {
    "weight": st.sampled_from([None, 0, 1, 100, 256, 257, -1, True]),
    "state": st.sampled_from([None, "enabled", "drain", "maint", "sleeping"]),
}


@st.composite
def server_edits(draw: st.DrawFn) -> tuple[Base, dict[str, Any]]:
    """Return a base and an edit of its servers' weight and state (None: the key is
    removed), with sometimes one more change that a rule reads (address, port, backup,
    a pool field given explicitly at its default, or a pool's name)."""
    base = _stored_base(draw(valid_documents()))
    edited = copy.deepcopy(base.document)
    servers = [s for p in edited.get("pools", []) for s in p.get("servers", [])]
    for server in draw(st.lists(st.sampled_from(servers), max_size=3)) if servers else []:
        key = draw(st.sampled_from(sorted(_BLIND_VALUES)))
        value = draw(_BLIND_VALUES[key])
        if value is None:
            server.pop(key, None)
        else:
            server[key] = value
    if servers and draw(st.booleans()):
        server = draw(st.sampled_from(servers))
        key = draw(st.sampled_from(["address", "port", "backup"]))
        server[key] = draw(_SERVER_VALUES[key])
    elif edited.get("pools") and draw(st.booleans()):
        pool = draw(st.sampled_from(edited["pools"]))
        key, value = draw(
            st.sampled_from([("balance", "roundrobin"), ("sticky", "none"), ("name", "renamed")])
        )
        pool[key] = value
    return base, edited


@given(server_edits())
def test_a_weight_or_state_edit_gets_a_full_validations_findings(
    case: tuple[Base, dict[str, Any]],
) -> None:
    base, edited = case
    full = _outcome(lambda: validate_data(copy.deepcopy(edited), "model"))
    reuse = Reuse()
    assert _outcome(lambda: validate_edit(edited, base, "model", reuse)) == full
    event(f"{full[0]}, {'rules reused' if reuse.findings else 'rules ran'}")


def test_a_weight_edit_reuses_the_bases_findings() -> None:
    base = _stored_base(load_yaml(EXAMPLE))
    assert base.warnings is not None
    edited = copy.deepcopy(base.document)
    edited["pools"][0]["servers"][0]["weight"] = 7
    edited["pools"][-1]["servers"][-1]["state"] = "drain"
    reuse = Reuse()
    loaded = validate_edit(edited, base, reuse=reuse)
    assert reuse.findings
    assert loaded.warnings == check_model(loaded.model).warnings == base.warnings


def test_an_address_edit_runs_the_rules_again() -> None:
    base = _stored_base(load_yaml(EXAMPLE))
    edited = copy.deepcopy(base.document)
    pool = edited["pools"][0]
    assert len(pool["servers"]) > 1
    pool["servers"][1]["address"] = pool["servers"][0]["address"]
    pool["servers"][1]["port"] = pool["servers"][0]["port"]
    reuse = Reuse()
    outcome = _outcome(lambda: validate_edit(edited, base, "model", reuse))
    assert not reuse.findings
    assert outcome == _outcome(lambda: validate_data(edited, "model"))
    assert outcome[0] == "invalid"
    assert f"is also server {pool['servers'][0]['name']!r}" in outcome[1][0][0]


def test_a_pool_field_given_at_its_default_runs_the_rules_again() -> None:
    # Rules may read which fields were given (model_fields_set), not only their values.
    base = _stored_base(load_yaml(EXAMPLE))
    edited = copy.deepcopy(base.document)
    edited["pools"][0]["balance"] = Pool.model_fields["balance"].default
    reuse = Reuse()
    validate_edit(edited, base, reuse=reuse)
    assert not reuse.findings
