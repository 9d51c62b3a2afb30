"""Render an edit at the cost of the edit: only the frontends and pools it touches.

A base is a model and its rendering (a stored revision's, cached). A host's haproxy.cfg is
its prefix followed by one block per frontend and per backend (render/sections.py), and a
block is printed from its own context alone. So for an edit that changes only pools and
frontends, each host's file is the candidate's prefix (a few small sections, rendered
again) followed by the base's text of every block whose context cannot have changed and
a fresh rendering of every other. A backend's context depends on its pool, the health
checks, the declared files and the frontends that use the pool (its mode and the peers
of a source-sticky pool); a frontend's on itself, its pair, the declared files and which
pairs answer ACME challenges. Anything else that differs (settings, hosts, pairs, health
checks, user lists, resolvers, files, certificates, the file contents, the order of the
frontends, which pairs answer ACME challenges...) renders the whole model again, as
render_model does. tests/render/test_incremental.py proves both equal, byte for byte, on
random edits.

keepalived.conf prints nothing of pools and frontends: the base's text is kept. A host's
attached files are taken again when no touched frontend or pool names a file.

At 50,000 servers, render_model took about 1 s; a one-server edit renders in a few ms
plus the prefix and the splice (benchmarks/web_scale.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..model import LbModel, pool_users
from ..model.config_files import FileContents
from ..model.routing import frontend_pools
from . import HAPROXY_FILE, KEEPALIVED_FILE, Rendered, RenderedHost, _host_attached, render_model
from .acme import acme_pairs
from .haproxy import (
    BackendContext,
    FrontendContext,
    SectionBuilder,
    haproxy_prefix,
    host_scope,
)
from .jinja import render_template
from .sections import BlockIndex, NotSplittable, index_blocks, remember_blocks, text_blocks

# The model's fields an edit may change and still be rendered block by block.
_BLOCK_FIELDS = frozenset({"pools", "frontends"})


@dataclass(frozen=True)
class EditedRendering:
    """A candidate's rendering and how it was made.

    `rendered_blocks` names, per host, the blocks rendered again ("backend app"); it is
    None when the whole model was rendered again, with `why` saying what made it so.
    """

    rendered: Rendered
    rendered_blocks: dict[str, list[str]] | None = None
    why: str = ""
    reused_blocks: int = field(default=0)

    @property
    def full(self) -> bool:
        return self.rendered_blocks is None


def render_edit(
    model: LbModel,
    contents: FileContents | None,
    base_model: LbModel,
    base: Rendered,
    base_contents: FileContents | None,
) -> EditedRendering:
    """Return render_model(model, contents), rendering only what differs from `base`.

    `base` must be render_model(base_model, base_contents). Raises what render_model raises.
    """
    why = _needs_full_render(model, contents, base_model, base_contents)
    if why:
        return EditedRendering(render_model(model, contents), None, why)
    try:
        return _spliced(model, contents, base_model, base)
    except NotSplittable as exc:
        return EditedRendering(render_model(model, contents), None, f"base not splittable: {exc}")


def _needs_full_render(
    model: LbModel,
    contents: FileContents | None,
    base_model: LbModel,
    base_contents: FileContents | None,
) -> str:
    """Return why the edit must be rendered in full, "" when it can be rendered by blocks."""
    for name in type(model).model_fields:
        if name not in _BLOCK_FIELDS and not _same(getattr(model, name), getattr(base_model, name)):
            return f"{name} changed"
    if not _same(contents, base_contents):
        return "file contents changed"
    if [fe.name for fe in model.frontends] != [fe.name for fe in base_model.frontends]:
        return "frontends added, removed or moved"
    if acme_pairs(model) != acme_pairs(base_model):
        return "the pairs answering ACME challenges changed"
    return ""


def _spliced(
    model: LbModel, contents: FileContents | None, base_model: LbModel, base: Rendered
) -> EditedRendering:
    old_frontends = {fe.name: fe for fe in base_model.frontends}
    old_pools = {p.name: p for p in base_model.pools}
    touched_frontends = {
        fe.name for fe in model.frontends if not _same(fe, old_frontends.get(fe.name))
    }
    touched_pools = {p.name for p in model.pools if not _same(p, old_pools.get(p.name))}
    # A pool a touched frontend uses (before or after) may change its users: mode, peers.
    for name in touched_frontends:
        touched_pools.update(frontend_pools(old_frontends[name]))
        touched_pools.update(frontend_pools(next(f for f in model.frontends if f.name == name)))
    users = pool_users(model)
    build = SectionBuilder(model, users)
    frontends_built: dict[str, FrontendContext] = {}
    backends_built: dict[str, BackendContext] = {}
    # A touched frontend may ship other files (certificates, maps, a crt-list); a touched
    # pool those its TLS or error pages name: the host's attached files are taken again.
    files_touched = bool(touched_frontends) or any(
        p.tls is not None or p.error_pages
        for p in (*model.pools, *base_model.pools)
        if p.name in touched_pools
    )
    hosts: list[RenderedHost] = []
    rendered_blocks: dict[str, list[str]] = {}
    reused = 0
    for old_host in base.hosts:
        scope = host_scope(model, old_host.host, users)
        base_text = old_host.files[HAPROXY_FILE]
        old_blocks = text_blocks(base_text)
        headers = [f"frontend {fe.name}" for fe in scope.frontends]
        headers += [f"backend {p.name}" for p in scope.pools]
        # The blocks the base text lacks, by kind and name (one set operation, not 11,000
        # lookups of a header made for each).
        missing: dict[str, set[str]] = {"frontend": set(), "backend": set()}
        for header in set(headers).difference(old_blocks.spans):
            kind, name = header.split(" ", 1)
            missing[kind].add(name)
        fresh_frontends = [
            fe
            for fe in scope.frontends
            if fe.name in touched_frontends or fe.name in missing["frontend"]
        ]
        fresh_pools = [
            p for p in scope.pools if p.name in touched_pools or p.name in missing["backend"]
        ]
        for fe in fresh_frontends:
            if fe.name not in frontends_built:  # both hosts of a pair print the same
                frontends_built[fe.name] = build.frontend(fe, scope.pairs[fe.vip_pair])
        for pool in fresh_pools:
            if pool.name not in backends_built:
                backends_built[pool.name] = build.backend(pool)
        # haproxy_prefix(model, scope, frontends, backends) is this context with those blocks.
        context = haproxy_prefix(model, scope)
        prefix = render_template("haproxy.cfg.j2", context)
        fresh = render_template(
            "haproxy.cfg.j2",
            replace(
                context,
                frontends=[frontends_built[fe.name] for fe in fresh_frontends],
                backends=[backends_built[p.name] for p in fresh_pools],
            ),
        )
        if not fresh.startswith(prefix):
            raise NotSplittable("the prefix rendered alone is not the start of the file")
        new_blocks = index_blocks(fresh, len(prefix))
        parts = [
            prefix,
            *_spliced_blocks(headers, new_blocks.spans, fresh, old_blocks.spans, base_text),
        ]
        text = "".join(parts)
        spans = [new_blocks.spans.get(h) or old_blocks.spans[h] for h in headers]
        remember_blocks(
            prefix, [(h, b - a) for h, (a, b) in zip(headers, spans, strict=True)], text
        )
        reused += len(headers) - len(new_blocks.spans)
        rendered_blocks[old_host.host] = list(new_blocks.spans)
        attached = (
            _host_attached(model, old_host.host, contents) if files_touched else old_host.attached
        )
        files = {HAPROXY_FILE: text, KEEPALIVED_FILE: old_host.files[KEEPALIVED_FILE]}
        hosts.append(RenderedHost(old_host.host, files, attached))
    rendered = Rendered(None, hosts, model.settings.files_dir, model)
    return EditedRendering(rendered, rendered_blocks, "", reused)


def _spliced_blocks(
    headers: list[str],
    fresh_spans: dict[str, tuple[int, int]],
    fresh: str,
    old_spans: dict[str, tuple[int, int]],
    base_text: str,
) -> list[str]:
    """Return the texts of the blocks `headers` names, in order: the fresh text of those in
    `fresh_spans`, the base text of the others. Blocks that follow one another in the base
    text too are taken as one slice: a one-server edit at 50,000 servers is three slices,
    not 11,000."""
    parts: list[str] = []
    run_start = run_end = -1  # the base text's run of reused blocks not yet taken
    for header in headers:
        span = fresh_spans.get(header)
        if span is not None:
            if run_start >= 0:
                parts.append(base_text[run_start:run_end])
                run_start = -1
            parts.append(fresh[span[0] : span[1]])
            continue
        start, end = old_spans[header]
        if run_start >= 0 and start == run_end:
            run_end = end
            continue
        if run_start >= 0:
            parts.append(base_text[run_start:run_end])
        run_start, run_end = start, end
    if run_start >= 0:
        parts.append(base_text[run_start:run_end])
    return parts


def _block_spans(
    headers: list[str], fresh: BlockIndex, old: BlockIndex
) -> list[tuple[str, tuple[int, int]]]:
    return [(h, fresh.spans.get(h) or old.spans[h]) for h in headers]


def _same(new: object, old: object) -> bool:
    """Return whether two parts of a model are equal; an incremental validation
    (model/incremental.py) hands back the base's very instance for an unchanged one."""
    return new is old or new == old
