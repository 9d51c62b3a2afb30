"""Form fields <-> model document items, and model error paths -> the form's inputs.

A form field is named by its key path inside one model item: `port`, `tls.certificate`,
`hosts.0`. Empty optional inputs and values equal to the schema default are left out of
the item, so a saved document stays as short as a hand-written one (and a tcp health
check never carries http-only keys at their default value).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ...errors import FieldError

Kind = Literal["text", "int", "bool", "select", "lines", "words", "password", "pairs"]
_INDEX = re.compile(r"\[([^\]]*)\]")


@dataclass(frozen=True)
class FormField:
    """One input of a model form."""

    name: str  # key path inside the item: "port", "tls.certificate", "hosts.0"
    label: str
    kind: Kind = "text"
    choices: tuple[str, ...] = ()  # select: the allowed values ("" = none)
    default: Any = None  # the schema default: left out of the document when equal
    required: bool = False
    hint: str = ""
    wide: bool = False  # takes a whole row (lists, directives)
    numeric: bool = False  # a select whose values are numbers (vrrp_version)
    shown_when: str = ""  # "type=http": only shown while that field has that value


@dataclass
class FormErrors:
    """Model errors sorted into those next to an input and those shown at the top."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)


def item_values(fields: list[FormField], item: Mapping[str, Any]) -> dict[str, str]:
    """Return the form's input values for a document item (defaults filled in)."""
    values: dict[str, str] = {}
    for f in fields:
        value = _get(item, f.name)
        if value is None:
            value = f.default
        values[f.name] = _as_text(f, value)
    return values


def apply_form(fields: list[FormField], form: Mapping[str, str], item: dict[str, Any]) -> None:
    """Set the item's fields from the submitted form; keys the form does not show stay."""
    for f in fields:
        value = _parse(f, form) if _applies(f, form) else None
        if value is None or value == f.default:
            _delete(item, f.name)
        else:
            _set(item, f.name, value)


def form_values(fields: list[FormField], form: Mapping[str, str]) -> dict[str, str]:
    """Return the submitted values as typed, to show the form again after an error."""
    values = {}
    for f in fields:
        if f.kind == "bool":
            values[f.name] = "1" if form.get(f.name) else ""
        else:
            values[f.name] = form.get(f.name, "")
    return values


def map_errors(errors: list[FieldError], prefix: str, fields: list[FormField]) -> FormErrors:
    """Return the errors whose path is inside `prefix` next to their input, others on top.

    `prefix` is the edited item's path, e.g. `pools[app].servers[app2]`: the error
    `pools[app].servers[app2].port` goes next to `port`, `vip_pairs[edge].vips[0]` next
    to `vips`, `vip_pairs[edge].hosts` next to the first host's select.
    """
    found = FormErrors()
    names = [f.name for f in fields]
    for error in errors:
        name = _field_for(error.path, prefix, names)
        if name is None:
            found.general.append(str(error))
        else:
            found.by_field.setdefault(name, []).append(error.message)
    return found


def _field_for(path: str, prefix: str, names: list[str]) -> str | None:
    if not path.startswith(prefix + "."):
        return None
    rest = _INDEX.sub(r".\1", path[len(prefix) + 1 :])
    while rest:
        if rest in names:
            return rest
        below = [n for n in names if n.startswith(rest + ".")]
        if below:
            return below[0]
        rest = rest.rpartition(".")[0]
    return None


def _applies(f: FormField, form: Mapping[str, str]) -> bool:
    """Return whether the field applies: an http-only field does not on a tcp check."""
    if not f.shown_when:
        return True
    other, wanted = f.shown_when.split("=", 1)
    return form.get(other) == wanted


def _parse(f: FormField, form: Mapping[str, str]) -> Any:
    raw = form.get(f.name, "")
    if f.kind == "bool":
        return bool(raw)
    text = raw.strip()
    if f.kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()] or None
    if f.kind == "words":
        return [w for w in re.split(r"[\s,]+", text) if w] or None
    if f.kind == "pairs":  # "Name: value" per line -> {name: value} (headers)
        pairs = [line.partition(":") for line in raw.splitlines() if line.strip()]
        return {name.strip(): value.strip() for name, _, value in pairs} or None
    if not text:
        return None
    if f.kind == "int" or f.numeric:
        # Not a number: passed on as text so the model names the field and the problem.
        return int(text) if re.fullmatch(r"-?\d{1,12}", text) else text
    return text


def _as_text(f: FormField, value: Any) -> str:
    if value is None:
        return ""
    if f.kind == "bool":
        return "1" if value else ""
    if f.kind == "lines":
        return "\n".join(str(v) for v in value)
    if f.kind == "words":
        return ", ".join(str(v) for v in value)
    if f.kind == "pairs":
        return "\n".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _keys(name: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in name.split(".")]


def _get(item: Mapping[str, Any], name: str) -> Any:
    node: Any = item
    for key in _keys(name):
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
        else:
            node = node.get(key) if isinstance(node, dict) else None
    return node


def _set(item: dict[str, Any], name: str, value: Any) -> None:
    keys = _keys(name)
    node: Any = item
    for key, after in itertools.pairwise(keys):
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(key, int):
            while len(node) <= key:
                node.append(None)
            if not isinstance(node[key], dict | list):
                node[key] = empty
        elif not isinstance(node.get(key), dict | list):
            node[key] = empty
        node = node[key]
    last = keys[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def _delete(item: dict[str, Any], name: str) -> None:
    keys = _keys(name)
    if isinstance(keys[-1], int):
        return  # list items are positional (a pair's two hosts): an empty one stays empty
    parent = _get(item, ".".join(str(k) for k in keys[:-1])) if len(keys) > 1 else item
    if isinstance(parent, dict):
        parent.pop(keys[-1], None)
        if len(keys) > 1 and not parent:
            _delete(item, ".".join(str(k) for k in keys[:-1]))
