"""Model pages: list, create, edit and delete LB hosts, VIP pairs, health checks, pools
(with their servers) and frontends (with their rules and routes, which can also be moved
up and down: their order is their meaning). Every save is a new revision."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from ...errors import ModelInvalid
from ...model.loader import format_path
from ...store import Revision
from ..auth import role_required
from . import bp
from .editing import base_revision, can_edit, document, head, save_edit
from .forms import FormErrors, FormField, apply_form, form_values, item_values, map_errors
from .list_pages import list_page
from .rule_summary import rule_summary
from .specs import CHILDREN, REFERENCES, SERVER_TEMPLATES, SERVERS, TOP_LEVEL, ItemSpec

# A new pool needs a server or a server template (slots filled from DNS): its form carries
# the first server's and the first template's inputs, either may stay empty.
FIRST_SERVER = [
    FormField(
        f"servers.0.{f.name}",
        f"First server: {f.label.lower()}",
        f.kind,
        f.choices,
        f.default,
        hint="or a first server template" if f.name == "name" else f.hint,
    )
    for f in SERVERS.fields
    if f.name in ("name", "address", "port")
]
FIRST_TEMPLATE = [
    FormField(
        f"server_templates.0.{f.name}",
        f"First server template: {f.label.lower()}",
        f.kind,
        f.choices,
        f.default,
        hint=f.hint,
        wide=f.wide,
    )
    for f in SERVER_TEMPLATES.fields
    if f.name in ("name", "count", "dns_name", "port")
]
FIRSTS = ("servers", "server_templates")  # the first-item inputs of a new pool


class Target:
    """Where the edited item sits in the document: found, created or deleted by `edit`."""

    def __init__(
        self, kind: str, name: str | None, child: str | None = None, child_key: str | None = None
    ) -> None:
        self.kind, self.name, self.child, self.child_key = kind, name, child, child_key
        self.positional = child is not None and not _child_spec(kind, child).named  # routes
        self.loc: tuple[str | int, ...] = ()
        self.document: dict[str, Any] = {}

    def items(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the list the item lives in (a parent's servers or routes for children)."""
        top = doc.setdefault(self.kind, [])
        if self.child is None:
            return top
        index = _index(top, self.name)
        under = _child_spec(self.kind, self.child).under  # track_scripts: in `keepalived`
        self.loc = (self.kind, index, *([under] if under else []), self.child)
        parent = top[index].setdefault(under, {}) if under else top[index]
        return parent.setdefault(self.child, [])

    def find(self, items: list[dict[str, Any]], key: str | None) -> int:
        return _position(items, key or "") if self.positional else _index(items, key)

    def edit(self, doc: dict[str, Any], change: Any, delete: bool = False) -> None:
        self.document = doc
        items = self.items(doc)
        base = self.loc or (self.kind,)
        key = self.name if self.child is None else self.child_key
        if key is None:
            items.append({})
            index = len(items) - 1
        else:
            index = self.find(items, key)
        if delete:
            del items[index]
            if self.child is not None and not items:
                parent = doc[self.kind][self.loc[1]]
                under = _child_spec(self.kind, self.child).under
                holder = parent[under] if under else parent
                holder.pop(self.child)  # routes: [] is the default
                if under and not holder:
                    parent.pop(under)
            self.loc = base[:-1] if self.child else ()
            return
        change(items[index])
        self.loc = (*base, index)

    def path(self) -> str:
        return format_path(self.loc, self.document) if self.loc else ""


def _index(items: list[dict[str, Any]], name: str | None) -> int:
    for index, item in enumerate(items):
        if item.get("name") == name:
            return index
    abort(404)


def _position(items: list[dict[str, Any]], key: str) -> int:
    if not key.isdigit() or int(key) >= len(items):
        abort(404)
    return int(key)


def _spec(kind: str, child: str | None = None) -> ItemSpec:
    spec = TOP_LEVEL.get(kind)
    if spec is None:
        abort(404)
    return spec if child is None else _child_spec(kind, child)


def _child_spec(kind: str, child: str) -> ItemSpec:
    for spec in CHILDREN.get(kind, ()):
        if spec.key == child:
            return spec
    abort(404)


def _choices(doc: dict[str, Any], fields: list[FormField]) -> dict[str, list[str]]:
    """Return each select's options: fixed ones, or the names of the items it refers to."""
    found = {}
    for f in fields:
        if f.name in REFERENCES:
            names = [i.get("name", "") for i in doc.get(REFERENCES[f.name], [])]
            found[f.name] = ([] if f.required else [""]) + names
        elif f.kind == "select":
            found[f.name] = list(f.choices)
    return found


def _render(
    spec: ItemSpec,
    fields: list[FormField],
    values: dict[str, str],
    errors: FormErrors | None,
    **context: Any,
) -> Any:
    doc = document()
    revision = head()
    child_sections: list[tuple[ItemSpec, list[dict[str, Any]]]] = []
    if context.get("name") and not context.get("child"):
        found = [i for i in doc.get(spec.key, []) if i.get("name") == context["name"]]
        for child_spec in CHILDREN.get(spec.key, ()):
            parent = found[0] if found else {}
            if child_spec.under:
                parent = parent.get(child_spec.under, {})
            items = parent.get(child_spec.key, [])
            shown = [rule_summary(i) for i in items] if child_spec.key == "rules" else items
            child_sections.append((child_spec, shown))
    context.setdefault("base", revision.number if revision else None)
    page = render_template(
        "model_edit.html",
        spec=spec,
        fields=fields,
        values=values,
        errors=errors or FormErrors(),
        choices=_choices(doc, fields),
        revision=revision,
        can_edit=can_edit(),
        child_sections=child_sections,
        **context,
    )
    return page, 422 if errors else 200


@bp.route("/model/")
@role_required("viewer")
def model_index() -> Any:
    return redirect(url_for("ui.model_list", kind="lb_hosts"))


@bp.route("/model/<kind>/")
@role_required("viewer")
def model_list(kind: str) -> Any:
    spec = _spec(kind)
    page = list_page(document().get(kind, []), request.args)
    return render_template(
        "model_list.html",
        spec=spec,
        items=page.items,
        page=page,
        can_edit=can_edit(),
        defaults={f.name: f.default for f in spec.fields if f.default is not None},
    )


@bp.route("/model/<kind>/+new", methods=["GET", "POST"])
@bp.route("/model/<kind>/<name>", methods=["GET", "POST"])
@role_required("viewer")
def model_item(kind: str, name: str | None = None) -> Any:
    spec = _spec(kind)
    fields = spec.fields + (
        FIRST_SERVER + FIRST_TEMPLATE if kind == "pools" and name is None else []
    )
    if request.method == "GET":
        items = document().get(kind, [])
        item = {} if name is None else items[_index(items, name)]
        return _render(spec, fields, item_values(fields, item), None, name=name)
    return _save(spec, fields, Target(kind, name), name=name)


@bp.route("/model/<kind>/<name>/<child>/+new", methods=["GET", "POST"])
@bp.route("/model/<kind>/<name>/<child>/<key>", methods=["GET", "POST"])
@role_required("viewer")
def model_child(kind: str, name: str, child: str, key: str | None = None) -> Any:
    spec = _spec(kind, child)
    target = Target(kind, name, child, key)
    context = {"name": name, "child": child, "key": key, "parent_spec": TOP_LEVEL[kind]}
    if request.method == "GET":
        items = target.items(document())
        item = {} if key is None else items[target.find(items, key)]
        return _render(spec, spec.fields, item_values(spec.fields, item), None, **context)
    return _save(spec, spec.fields, target, **context)


@bp.route("/model/<kind>/<name>/delete", methods=["POST"])
@bp.route("/model/<kind>/<name>/<child>/<key>/delete", methods=["POST"])
@role_required("operator")
def model_delete(kind: str, name: str, child: str | None = None, key: str | None = None) -> Any:
    spec = _spec(kind, child)
    target = Target(kind, name, child, key)
    what = _describe(spec, name, child, key)
    result = save_edit(
        lambda doc: target.edit(doc, None, delete=True), f"Delete {what}", (kind, name)
    )
    if isinstance(result, ModelInvalid):
        problems = "; ".join(str(e) for e in result.errors)
        flash(f"Cannot delete {what}, nothing was saved: {problems}", "error")
    if child is not None or not isinstance(result, Revision):
        return redirect(url_for("ui.model_item", kind=kind, name=name))
    return redirect(url_for("ui.model_list", kind=kind))


@bp.route("/model/<kind>/<name>/<child>/<key>/move", methods=["POST"])
@role_required("operator")
def model_move(kind: str, name: str, child: str, key: str) -> Any:
    """Move a positional child (a rule, a route) one place up or down: order is meaning."""
    spec = _spec(kind, child)
    if spec.named:
        abort(404)
    step = -1 if request.form.get("direction") == "up" else 1
    target = Target(kind, name, child, key)

    def move(doc: dict[str, Any]) -> None:
        items = target.items(doc)
        index = target.find(items, key)
        other = index + step
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]

    direction = "up" if step < 0 else "down"
    what = _describe(spec, name, child, key)
    result = save_edit(move, f"Move {what} {direction}", (kind, name))
    if isinstance(result, ModelInvalid):
        problems = "; ".join(str(e) for e in result.errors)
        flash(f"Cannot move {what}, nothing was saved: {problems}", "error")
    return redirect(url_for("ui.model_item", kind=kind, name=name))


def _describe(spec: ItemSpec, name: str, child: str | None, key: str | None) -> str:
    """Return 'pool app', 'server app2 of app' or 'route #1 of web' for messages."""
    if child is None:
        return f"{spec.singular} {name}"
    label = key if spec.named else f"#{int(key or 0) + 1}"
    return f"{spec.singular} {label} of {name}"


def _save(spec: ItemSpec, fields: list[FormField], target: Target, **context: Any) -> Any:
    if not can_edit():
        abort(403)
    form = request.form
    key = target.child_key if target.child else target.name
    if target.child is None:
        what = f"{spec.singular} {form.get('name') or key}"
    elif spec.named:
        what = f"{spec.singular} {form.get('name') or key} of {target.name}"
    else:
        what = (
            _describe(spec, target.name or "", target.child, key)
            if key
            else (f"{spec.singular} of {target.name}")
        )
    message = form.get("message", "").strip() or ("Add " if key is None else "Edit ") + what

    def change(item: dict[str, Any]) -> None:
        apply_form(fields, form, item)
        if target.kind == "pools" and target.child is None:
            item.setdefault("servers", [])  # a pool may start with server templates only

    result = save_edit(
        lambda doc: target.edit(doc, change),
        message,
        (target.kind, target.name),
    )
    if isinstance(result, ModelInvalid):
        errors = _errors(result, target, fields)
        values = form_values(fields, form)
        context["base"] = base_revision()
        return _render(spec, fields, values, errors, **context)
    if result is None:  # stale: show the current model again
        return redirect(request.url)
    if target.child is not None:
        return redirect(url_for("ui.model_item", kind=target.kind, name=target.name))
    return redirect(url_for("ui.model_item", kind=target.kind, name=form.get("name")))


def _errors(invalid: ModelInvalid, target: Target, fields: list[FormField]) -> FormErrors:
    prefix = target.path()
    own = [f for f in fields if not f.name.startswith(tuple(f"{k}.0." for k in FIRSTS))]
    found = map_errors(invalid.errors, prefix, own)
    for kind in FIRSTS:
        first = [f for f in fields if f.name.startswith(f"{kind}.0.")]
        if not first:
            continue
        inner_prefix = format_path((*target.loc, kind, 0), target.document)
        rest = [FormField(f.name.removeprefix(f"{kind}.0."), f.label) for f in first]
        inner = map_errors(
            [type(e)(e.path, e.message) for e in invalid.errors if e.path.startswith(inner_prefix)],
            inner_prefix,
            rest,
        )
        for name, messages in inner.by_field.items():
            found.by_field.setdefault(f"{kind}.0.{name}", []).extend(messages)
        # The list's own errors ("needs servers or server_templates") at its first input.
        for e in invalid.errors:
            if e.path == f"{prefix}.{kind}":
                found.by_field.setdefault(f"{kind}.0.name", []).append(e.message)
                inner.by_field.setdefault("", []).append(e.message)
        found.general = [
            g
            for g in found.general
            if not any(g.endswith(m) for ms in inner.by_field.values() for m in ms)
        ]
    return found
