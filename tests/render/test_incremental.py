"""Rendering an edit block by block gives render_model's files, byte for byte (hypothesis:
random edits of random valid models, most of them to pools and frontends, some global)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from controlplane.errors import ModelInvalid
from controlplane.model import LbModel, model_document, validate_data
from controlplane.model.incremental import Base, validate_edit
from controlplane.render import HAPROXY_FILE, Rendered, render_model, sections
from controlplane.render.incremental import render_edit
from controlplane.render.sections import index_blocks, text_blocks
from tests.model.strategies import valid_documents
from tests.support import EXAMPLE, load_yaml

_SERVER_VALUES = {
    "weight": st.integers(0, 256),
    "state": st.sampled_from(["ready", "drain", "maint"]),
    "backup": st.booleans(),
    "maxconn": st.integers(1, 5000),
    "port": st.integers(1, 65535),
}


@st.composite
def edits(draw: st.DrawFn) -> tuple[Base, dict[str, Any]]:
    """Return a base and an edit of its document: server fields set, servers dropped or
    copied, pools and frontends replaced by another document's or moved, settings changed."""
    base_document = draw(valid_documents())
    try:
        model = validate_data(base_document).model
    except ModelInvalid:  # pragma: no cover - valid_documents makes valid ones
        assume(False)
        raise
    base = Base(model, model_document(model))
    other = draw(valid_documents())
    edited = copy.deepcopy(base.document)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["server", "server", "drop", "copy", "replace", "move"]))
        kind = draw(st.sampled_from(["pools", "pools", "frontends", "settings"]))
        items = edited.get(kind)
        if kind == "settings":
            edited["settings"] = dict(edited.get("settings") or {}, maxconn=draw(st.integers(1, 9)))
        elif not items:
            continue
        elif action in ("server", "drop", "copy") and kind == "pools":
            pool = draw(st.sampled_from(items))
            servers = pool.get("servers") or []
            if not servers:
                continue
            server = draw(st.sampled_from(servers))
            if action == "server":
                key = draw(st.sampled_from(sorted(_SERVER_VALUES)))
                server[key] = draw(_SERVER_VALUES[key])
            elif action == "drop" and len(servers) > 1:
                servers.remove(server)
            elif action == "copy":
                servers.append(dict(copy.deepcopy(server), name=f"copy{len(servers)}"))
        elif action == "replace" and other.get(kind):
            index = draw(st.integers(0, len(items) - 1))
            replacement = copy.deepcopy(draw(st.sampled_from(other[kind])))
            items[index] = dict(replacement, name=items[index]["name"])
        elif action == "move" and len(items) > 1:
            items.insert(0, items.pop())
    return base, edited


def _files(rendered: Rendered) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    return [(h.host, h.files, h.attached) for h in rendered.hosts]


def _rendered(model: LbModel) -> Rendered:
    try:
        return render_model(model)
    except ModelInvalid:  # a declared file without content: nothing to compare
        assume(False)
        raise


# Documents come from large composite strategies: the speed health checks do not apply.
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(edits())
def test_an_edit_renders_as_a_full_render_does(case: tuple[Base, dict[str, Any]]) -> None:
    base, edited = case
    try:
        model = validate_edit(edited, base).model
    except ModelInvalid:
        assume(False)
        raise
    base_rendering = _rendered(base.model)
    full = _rendered(model)
    found = render_edit(model, None, base.model, base_rendering, None)
    assert _files(found.rendered) == _files(full)
    assert found.rendered.model_hash == full.model_hash
    # The blocks a splice remembers are those reading the text finds.
    for host in found.rendered.hosts:
        text = host.files[HAPROXY_FILE]
        assert text_blocks(text) == sections._text_blocks.__wrapped__(text)
    event("full" if found.full else "by blocks")


def _one_server_edit() -> tuple[Base, LbModel]:
    model = validate_data(load_yaml(EXAMPLE)).model
    base = Base(model, model_document(model))
    edited = copy.deepcopy(base.document)
    edited["pools"][0]["servers"][0]["weight"] = 7
    return base, validate_edit(edited, base).model


def test_a_one_server_edit_renders_only_its_backend() -> None:
    base, model = _one_server_edit()
    found = render_edit(model, None, base.model, render_model(base.model), None)
    pool = model.pools[0].name
    assert found.rendered_blocks is not None
    assert set(map(tuple, found.rendered_blocks.values())) <= {(f"backend {pool}",), ()}
    assert _files(found.rendered) == _files(render_model(model))


def test_a_spliced_file_s_blocks_are_known_without_reading_it_again() -> None:
    base, model = _one_server_edit()
    found = render_edit(model, None, base.model, render_model(base.model), None)
    for host in found.rendered.hosts:
        text = host.files[HAPROXY_FILE]
        held = sections._HELD.get(id(text))
        assert held is not None and held[0] is text
        assert held[1] == sections._text_blocks.__wrapped__(text)


def test_a_settings_edit_renders_the_whole_model_and_says_why() -> None:
    base, _ = _one_server_edit()
    edited = copy.deepcopy(base.document)
    edited["settings"] = dict(edited.get("settings") or {}, maxconn=123)
    model = validate_edit(edited, base).model
    found = render_edit(model, None, base.model, render_model(base.model), None)
    assert found.full and found.why == "settings changed"
    assert _files(found.rendered) == _files(render_model(model))


def test_a_file_is_its_prefix_and_its_blocks() -> None:
    text = render_model(validate_data(load_yaml(EXAMPLE)).model).hosts[0].files[HAPROXY_FILE]
    index = text_blocks(text)
    assert index.spans and all(h.split()[0] in ("frontend", "backend") for h in index.spans)
    assert text[: index.prefix_end] + "".join(text[a:b] for a, b in index.spans.values()) == text
    assert index_blocks(text, index.prefix_end) == index


def test_blocks_are_spliced_in_the_headers_order_whatever_the_base_order() -> None:
    from controlplane.render.incremental import _spliced_blocks

    base = "\nbackend a\n  x\n\nbackend b\n  y\n\nbackend c\n  z\n"
    old = {"backend a": (0, 15), "backend b": (15, 30), "backend c": (30, 45)}
    assert "".join(base[s:e] for s, e in old.values()) == base
    fresh = "\nbackend b\n  new\n"
    new = {"backend b": (0, len(fresh))}
    headers = ["backend c", "backend a", "backend b"]  # moved: c comes first now
    parts = _spliced_blocks(headers, new, fresh, old, base)
    assert "".join(parts) == base[30:45] + base[0:15] + fresh
    # Neighbours in the base and in the headers are taken as one slice.
    together = _spliced_blocks(["backend a", "backend c"], {}, "", old, base)
    assert together == [base[0:15], base[30:45]]
    assert _spliced_blocks(["backend a", "backend b", "backend c"], {}, "", old, base) == [base]
