"""Validation whose cost is bounded by the errors anyone reads, not by the errors sent.

pydantic reports every error of a document, and building them is what costs: 500,000
wrong servers took 2.2 s and 750 MB before the first error could be read, and listing
them 15 s more. lbctl shows the first MAX_ERRORS, so:

- lists have a length limit pydantic checks before looking at any item;
- no mapping may hold more than MAX_KEYS keys (every object of the format has fewer), so
  unknown keys cannot be sent by the million (`check_key_count`: list items run it in
  `Counted`, other objects before their fields);
- each object of a list (`Counted[...]`) spends its errors from a budget; when the budget
  runs out, validation stops at once, and `first_errors` finds the first errors by
  validating the document piece by piece, each piece again under the budget, and passing
  over the objects the validations before found valid.

Only that search needs to know which objects were valid, so the first validation records
none: a valid document, or one with fewer errors than the budget, never needs them. When
the budget runs out, the document is validated again, recording, before the search.
"""

from __future__ import annotations

import contextvars
import functools
import typing
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

MAX_ERRORS = 200
MAX_KEYS = 64


class BudgetSpent(Exception):
    """More errors than MAX_ERRORS: validation stopped before building the rest."""


Seen = set[tuple[int, type]]  # list items found valid: (id(), the type made of it)


class _Budget:
    """The errors a validation may still build, and the list items it found valid."""

    __slots__ = ("left", "valid")

    def __init__(self, left: int, valid: Seen | None) -> None:
        self.left = left
        # (id(), type made) of each list item that validated, or None: not recorded. The
        # document's objects live as long as the search, so an id cannot name another object
        # of it; the type tells a YAML alias valid as a pool from the same mapping used as a
        # frontend.
        self.valid = valid


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "lbctl_error_budget", default=None
)


def _spend(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    check_key_count(value)
    try:
        result = handler(value)
    except ValidationError as exc:
        budget = _BUDGET.get()
        if budget is not None:
            budget.left -= exc.error_count()
            if budget.left < 0:
                raise BudgetSpent from None
        raise
    budget = _BUDGET.get()
    if budget is not None and budget.valid is not None:
        budget.valid.add((id(value), type(result)))
    return result


T = typing.TypeVar("T")
Counted = Annotated[T, WrapValidator(_spend)]


def first_errors(
    model: type[BaseModel], data: Any
) -> tuple[BaseModel | None, list[Any], int | None]:
    """Return (the model or None, its first errors, how many more: None when not counted).

    Errors have pydantic's shape (`loc`, `type`, `msg`, `input`, `ctx`), with `loc` from
    the document's root.
    """
    # Recording each valid list item took a fifth of the validation of 50,000 valid servers
    # (about 40 ms), and only the search needs them: the first validation records none.
    try:
        return _budgeted(model, data, None)
    except BudgetSpent:
        pass
    # Past the budget: the same validation again, recording the items it finds valid, then
    # the search for the first errors, which passes over those items.
    valid: Seen = set()
    try:
        return _budgeted(model, data, valid)
    except BudgetSpent:
        found: list[Any] = []
        _descend(model, data, (), found, valid)
        return None, found[:MAX_ERRORS], None


def _budgeted(
    model: type[BaseModel], data: Any, valid: Seen | None
) -> tuple[BaseModel | None, list[Any], int]:
    """Validate under the budget (`valid`: where to record valid items, or None)."""
    token = _BUDGET.set(_Budget(MAX_ERRORS, valid))
    try:
        return model.model_validate(data), [], 0
    except ValidationError as exc:
        more = max(exc.error_count() - MAX_ERRORS, 0)
        return None, exc.errors(include_url=False)[:MAX_ERRORS], more
    finally:
        _BUDGET.reset(token)


def _locate(
    annotation: Any, data: Any, loc: tuple[str | int, ...], found: list[Any], valid: Seen
) -> None:
    """Append the errors of `data` as `annotation`, descending where the budget runs out."""
    if len(found) >= MAX_ERRORS:
        return
    token = _BUDGET.set(_Budget(MAX_ERRORS - len(found), valid))
    try:
        _validate(annotation, data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False)[: MAX_ERRORS - len(found)]:
            found.append({**error, "loc": loc + tuple(error["loc"])})
    except BudgetSpent:
        _descend(annotation, data, loc, found, valid)
    finally:
        _BUDGET.reset(token)


def _descend(
    annotation: Any, data: Any, loc: tuple[str | int, ...], found: list[Any], valid: Seen
) -> None:
    model = _model_of(annotation)
    if model is not None and isinstance(data, dict):
        for key, value in data.items():
            field = model.model_fields.get(key)
            if field is None:
                found.append(_error("extra_forbidden", "Extra inputs are not permitted", loc, key))
            else:
                _locate(_annotated(field), value, (*loc, key), found, valid)
            if len(found) >= MAX_ERRORS:
                return
        return
    item = _list_item(annotation)
    if item is not None and isinstance(data, list):
        # 201 wrong servers after 40,000 valid pools: validating every pool again, one by
        # one, took 3.3 s; the pools the first pass found valid are passed over.
        made = _model_of(item)
        for index, value in enumerate(data):
            if (id(value), made) in valid:
                continue
            _locate(item, value, (*loc, index), found, valid)
            if len(found) >= MAX_ERRORS:
                return


def _validate(annotation: Any, data: Any) -> None:
    _adapter(annotation).validate_python(data, strict=True)


@functools.cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    # Building an adapter costs about 0.15 ms; locating errors past 20,000 valid pools
    # built one per pool (3 s), so each annotation's is built once.
    return TypeAdapter(annotation)


def _annotated(field: FieldInfo) -> Any:
    return Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation


def _model_of(annotation: Any) -> type[BaseModel] | None:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return annotation if is_model else None


def _list_item(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else None


def check_key_count(data: Any) -> Any:
    """Refuse a mapping with more keys than any object of the format has (a `before` check)."""
    if isinstance(data, dict) and len(data) > MAX_KEYS:
        raise PydanticCustomError(
            "too_many_keys",
            "has {count} keys; no object of the format has more than {limit}",
            {"count": f"{len(data):,}", "limit": MAX_KEYS},
        )
    return data


def _error(kind: str, message: str, loc: tuple[str | int, ...], key: str) -> Any:
    return {"type": kind, "loc": (*loc, key), "msg": message, "input": None}
