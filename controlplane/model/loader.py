"""Turn a model document into a validated LbModel, or every error with its field path."""

from __future__ import annotations

import difflib
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..errors import FieldError, ModelInvalid, one_error
from .document import parse_document, type_name
from .error_budget import MAX_ERRORS, first_errors
from .parse_ahead import take as parsed_ahead
from .rules import check_model
from .schema import LbModel
from .types import NAME_PATTERN

_SHOWN_VALUE_CHARS = 60


@dataclass(frozen=True)
class LoadedModel:
    model: LbModel
    warnings: list[FieldError]


def load_model(text: str | bytes, source: str = "<model>") -> LoadedModel:
    """Return the validated model with its warnings; raises ModelInvalid listing all errors."""
    return validate_data(parse_document(text, source), source)


def load_model_file(path: Path | str, data: bytes | None = None) -> LoadedModel:
    """Return the validated model of a model file; `data`: its bytes, when already read."""
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise one_error(str(path), "", f"cannot read: {exc.strerror}") from None
    parsed = parsed_ahead(data, str(path))  # the CLI may have parsed it already, in parallel
    return load_model(data, str(path)) if parsed is None else validate_data(parsed, str(path))


def validate_data(data: dict[str, Any], source: str = "<model>") -> LoadedModel:
    """Validate an already parsed document (from YAML, JSON or the API)."""
    model, errors, more = first_errors(LbModel, data)
    if not isinstance(model, LbModel):
        raise ModelInvalid(_capped(errors, more, data), source)
    found = check_model(model)
    if found.errors:
        raise ModelInvalid(found.errors, source)
    return LoadedModel(model, found.warnings)


def _capped(errors: list[Any], more: int | None, data: dict[str, Any]) -> list[FieldError]:
    """Return the first MAX_ERRORS errors, then one line for the rest.

    A hostile document can hold half a million wrong values; nobody reads past the first
    screen, and explaining each one costs time and memory (error_budget.py stops early).
    """
    found = _unique([_field_error(e, data) for e in errors])
    if more is None:
        found.append(
            FieldError("", f"... and more errors (only the first {MAX_ERRORS} are listed)")
        )
    elif more > 0:
        found.append(FieldError("", f"... and {more:,} more errors"))
    return found


def _unique(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))


# --- pydantic error -> FieldError ------------------------------------------------------


def format_path(loc: tuple[str | int, ...], data: Any) -> str:
    """Return 'pools[app].servers[app2].port' for ('pools', 0, 'servers', 1, 'port')."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            item = node[part] if part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            label = name if isinstance(name, str) and _printable_name(name) else part
            out += f"[{label}]"
            node = item
        else:
            key = _shown_key(part)
            out += f".{key}" if out else key
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _shown_key(key: str | int) -> str:
    # A key comes from the user's document: never let it carry control characters (an
    # escape sequence would reach the terminal of whoever reads the error).
    text = str(key)
    return text if text.isprintable() and " " not in text else repr(text)


def _printable_name(name: str) -> bool:
    # Only a valid name labels a path; anything else is shown by its index.
    return re.fullmatch(NAME_PATTERN, name) is not None


def _field_error(error: Any, data: dict[str, Any]) -> FieldError:
    loc = _without_union_tags(tuple(error["loc"]), data)
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return FieldError(format_path(loc, data), _unknown_key(loc))
    if kind == "invalid_key":  # e.g. `true: 1` in a mapping
        return FieldError(
            format_path(loc[:-1], data), f"keys must be strings, got {_show(loc[-1])}"
        )
    _parent, info = _field_info(loc)
    return FieldError(format_path(loc, data), _message(kind, error, value, info))


def _without_union_tags(loc: tuple[str | int, ...], data: Any) -> tuple[str | int, ...]:
    """Return `loc` without pydantic's union tags ('function-after[...]', 'list[...]').

    A tag is recognised by not being a key of the document at that point, so a user's key
    that happens to hold '[' is kept (and reported) like any other.
    """
    kept: list[str | int] = []
    node = data
    for part in loc:
        is_key = isinstance(node, dict) and part in node
        if isinstance(part, str) and not is_key and ("[" in part or part.startswith("function-")):
            continue
        kept.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(kept)


def _message(kind: str, error: Any, value: Any, info: FieldInfo | None) -> str:
    ctx = error.get("ctx") or {}
    got = f", got {_show(value)}"
    if kind == "missing":
        return "is required"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(info)
        if low is not None and high is not None:
            return f"must be {low}-{high}{got}"
        return f"must be {kind.replace('_', ' ')} {next(iter(ctx.values()), '')}{got}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        hint = _close_choice(value, expected)
        return f"must be one of {expected}{got}{hint}"
    if kind == "string_pattern_mismatch":
        description = _description(info) or f"must match {ctx.get('pattern')}"
        return (
            f"must be {description}{got}"
            if not description.startswith("must")
            else (f"{description}{got}")
        )
    if kind in ("too_short", "too_long"):
        return error["msg"].replace("List should", "must").replace("Value should", "must")
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"].removeprefix("Value error, "))
    if kind == "too_many_keys":
        return str(error["msg"])
    if kind.endswith("_type") or kind in ("model_attributes_type", "dict_type"):
        return f"must be {_expected_type(kind)}{got} ({type_name(value)})"
    return f"{error['msg']}{got}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_VALUE_CHARS else text[: _SHOWN_VALUE_CHARS - 3] + "..."


def _expected_type(kind: str) -> str:
    base = kind.removesuffix("_type").removesuffix("_parsing")
    return {
        "int": "a whole number",
        "string": "a string",
        "bool": "true or false",
        "list": "a list",
        "model": "a mapping",
        "model_attributes": "a mapping",
        "dict": "a mapping",
        "float": "a number",
        "literal": "one of the listed values",
    }.get(base, base.replace("_", " "))


def _close_choice(value: Any, expected: str) -> str:
    if not isinstance(value, str):
        return ""
    choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",")]
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def _bounds(info: FieldInfo | None) -> tuple[Any, Any]:
    low = high = None
    for item in info.metadata if info else []:
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
    return low, high


def _description(info: FieldInfo | None) -> str | None:
    if info is None:
        return None
    if info.description and info.metadata:
        return info.description
    for item in info.metadata:
        if isinstance(item, FieldInfo) and item.description:
            return item.description
    return info.description


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    fields = list(model.model_fields) if model else []
    close = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(fields)})"
    return f"unknown key {_show(key)}{hint}"


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    current: Any = LbModel
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_info(loc: tuple[str | int, ...]) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """Return the model class and FieldInfo a location points at (list items: the list's)."""
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return None, None
    parent = _model_at(tuple(loc[: max(i for i, p in enumerate(loc) if isinstance(p, str))]))
    if parent is None:
        return None, None
    info = parent.model_fields.get(names[-1])
    if info is not None and isinstance(loc[-1], int):
        info = _item_info(info.annotation) or info
    return parent, info


def _item_info(annotation: Any) -> FieldInfo | None:
    for arg in typing.get_args(annotation):
        metadata = getattr(arg, "__metadata__", ())
        for item in metadata:
            if isinstance(item, FieldInfo):
                return item
    return None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None
