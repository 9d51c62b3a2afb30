"""Walk a model document together with the schema: which class each mapping is, and paths.

Shared by the hypothesis strategies and the attack corpus, so both find every field from
the pydantic schema itself: a field added to the schema is generated and attacked
without being listed anywhere.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from controlplane.model.schema import LbModel
from controlplane.model.types import NAME_PATTERN

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Site:
    """One key of one mapping in a document, and the model class that mapping is."""

    loc: Loc  # of the mapping
    model: type[BaseModel]
    key: str

    @property
    def field_loc(self) -> Loc:
        return (*self.loc, self.key)


def field_path(loc: Loc, document: Any) -> str:
    """Return the user-visible path, 'pools[app].servers[app2].port', of a location.

    List items are labelled by their name when it is a valid name, else by index: the
    documented format (docs/model.md, "Validation rules"), written out here independently.
    Keys that are not printable or hold a space are shown quoted.
    """
    out = ""
    node = document
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            valid_name = isinstance(name, str) and re.fullmatch(NAME_PATTERN, name)
            out += f"[{name if valid_name else part}]"
            node = item
        else:
            # A key that is not printable or holds a space is shown quoted (repr), so no
            # control character from a document reaches a terminal.
            shown = part if part.isprintable() and " " not in part else repr(part)
            out += f".{shown}" if out else shown
            node = node.get(part) if isinstance(node, dict) else None
    return out


def document_sites(
    document: dict[str, Any], model: type[BaseModel] = LbModel, loc: Loc = ()
) -> Iterator[Site]:
    """Yield every key of every mapping of a (field-valid) document, depth first."""
    for key, value in document.items():
        yield Site(loc, model, key)
        inner = inner_model(model.model_fields[key].annotation)
        if inner is None:
            continue
        if isinstance(value, dict):
            yield from document_sites(value, inner, (*loc, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from document_sites(item, inner, (*loc, key, i))


def inner_model(annotation: Any) -> type[BaseModel] | None:
    """Return the model class inside an annotation (`list[Pool]`, `FrontendTls | None`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = inner_model(arg)
        if found is not None:
            return found
    return None


def model_classes(model: type[BaseModel] = LbModel) -> list[type[BaseModel]]:
    """Return the model and every class reachable from its fields, each once."""
    found = [model]
    for info in model.model_fields.values():
        inner = inner_model(info.annotation)
        if inner is not None and inner not in found:
            found += [c for c in model_classes(inner) if c not in found]
    return found


def json_types(annotation: Any) -> set[type]:
    """Return the Python types of parsed JSON/YAML a field takes (strict: bool is not int)."""
    origin = typing.get_origin(annotation)
    if annotation is None or annotation is type(None):
        return {type(None)}
    if origin in (typing.Union, types.UnionType):
        return set().union(*(json_types(arg) for arg in typing.get_args(annotation)))
    if origin is typing.Annotated:
        return json_types(typing.get_args(annotation)[0])
    if origin is Literal:
        return {type(arg) for arg in typing.get_args(annotation)}
    if origin is list:
        return {list}
    if origin is dict:  # a mapping field (header edits): its contents are checked per key
        return {dict}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {dict}
    return {annotation}


def is_list(annotation: Any) -> bool:
    """Return whether a field is a list (possibly optional)."""
    return list in json_types(annotation)


def field_metadata(model: type[BaseModel], key: str) -> list[Any]:
    """Return the constraints of a field, including those of list items and Annotated types."""
    info = model.model_fields[key]
    return [*info.metadata, *_nested_metadata(info.annotation)]


def _nested_metadata(annotation: Any) -> Iterator[Any]:
    for arg in typing.get_args(annotation):
        yield from getattr(arg, "__metadata__", ())
        yield from _nested_metadata(arg)


def pattern_of(model: type[BaseModel], key: str) -> str | None:
    """Return the regex a field (or its items) must match, if it has one."""
    return next(
        (m.pattern for m in field_metadata(model, key) if getattr(m, "pattern", None)), None
    )


def get(document: Any, loc: Loc) -> Any:
    for part in loc:
        document = document[part]
    return document
