"""Invalid model documents for hypothesis: a valid document with exactly one change.

Each change says where the refusal must point (`Mutation.path`): a wrong type, a missing
required field, an unknown key, a number out of range, a malformed name, a reference to
nothing, or a duplicated name. Fields are found through the schema (schema_paths.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import annotated_types
from hypothesis import strategies as st
from pydantic import BaseModel

from controlplane.model.types import NAME_PATTERN

from .schema_paths import Loc, Site, document_sites, field_path, get, pattern_of
from .strategies import NAMES, valid_documents


@dataclass(frozen=True)
class Mutation:
    """A document made invalid by one change; `path` is how an error must name the field."""

    document: dict[str, Any]
    kind: str
    path: str
    # Type, range, charset and key errors are found by field validation alone, so every
    # error is at or under `path`; a broken reference may also upset other rules.
    only_there: bool


def _bounds(model: type[BaseModel], key: str) -> tuple[int, int] | None:
    info = model.model_fields[key]
    low = next((m.ge for m in info.metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in info.metadata if isinstance(m, annotated_types.Le)), None)
    return (low, high) if low is not None and high is not None else None


def _is_name_field(model: type[BaseModel], key: str) -> bool:
    return pattern_of(model, key) == NAME_PATTERN


# Where each kind of reference points: (model, key) -> the section holding the names.
REFERENCES = {
    ("VipPair", "hosts"): "lb_hosts",
    ("Pool", "health_check"): "health_checks",
    ("Frontend", "vip_pair"): "vip_pairs",
    ("Frontend", "default_pool"): "pools",
    ("Route", "pool"): "pools",
}
_NOT_NAMES = st.one_of(
    st.sampled_from(
        [
            "",
            "-lead",
            "a b",
            "a:b",
            "x" * 64,
            "../x",
            ".",
            "..",
            "a/b",
            "\uff46\uff55\uff4c\uff4c",
            "a\n",
        ]
    ),
    st.text(max_size=80),
).filter(lambda s: re.fullmatch(NAME_PATTERN, s) is None)
# 64-bit: YAML integers past that are a loader gap of their own (see test_attack_corpus).
_INTEGERS = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_ANY_VALUE = st.one_of(
    _INTEGERS,
    st.floats().filter(lambda f: not f.is_integer()),
    st.booleans(),
    st.text(max_size=20),
    st.lists(_INTEGERS, max_size=2),
    st.dictionaries(st.text(max_size=5), _INTEGERS, max_size=2),
)


# Keys are printable and hold no '[': a key with control characters is printed raw, and one
# with '[' is misnamed (both are loader bugs, pinned by xfail tests in test_attack_corpus).
_UNKNOWN_KEYS = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="["),
    min_size=1,
    max_size=20,
).filter(lambda k: not k.startswith("function-"))


def _same_kind(a: Any, b: Any) -> bool:
    """Return whether strict validation could take b where a is valid (bool is not int)."""
    return type(a) is type(b)


@st.composite
def invalid_documents(draw: st.DrawFn) -> Mutation:
    """Return a valid document with one change that validation must refuse, by name."""
    document = draw(valid_documents())
    sites = list(document_sites(document))
    kind = draw(
        st.sampled_from(
            ["wrong type", "missing", "unknown key", "out of range", "bad name", "dangling", "dup"]
        )
    )
    mutation = _MUTATIONS[kind](draw, document, sites)
    if mutation is None:  # nothing of that kind in this document: change a type instead
        mutation = _wrong_type(draw, document, sites)
    assert mutation is not None
    return mutation


def _wrong_type(draw: st.DrawFn, document: dict, sites: list[Site]) -> Mutation | None:
    site = draw(st.sampled_from(sites))
    target: Any = get(document, site.loc)
    key: str | int = site.key
    loc: Loc = (*site.loc, key)
    if isinstance(target[key], list) and target[key] and draw(st.booleans()):
        target, key = target[key], draw(st.integers(0, len(target[key]) - 1))
        loc = (*loc, key)
    value = target[key]
    if value is None:
        return None
    target[key] = draw(_ANY_VALUE.filter(lambda v: not _same_kind(value, v)))
    return Mutation(document, "wrong type", field_path(loc, document), only_there=True)


def _missing(draw: st.DrawFn, document: dict, sites: list[Site]) -> Mutation | None:
    required = [s for s in sites if s.model.model_fields[s.key].is_required()]
    if not required:
        return None
    site = draw(st.sampled_from(required))
    del get(document, site.loc)[site.key]
    return Mutation(document, "missing", field_path((*site.loc, site.key), document), True)


def _unknown_key(draw: st.DrawFn, document: dict, sites: list[Site]) -> Mutation | None:
    containers = list({s.loc: s for s in sites}.values())
    site = draw(st.sampled_from(containers))
    key = draw(_UNKNOWN_KEYS.filter(lambda k: k not in site.model.model_fields))
    get(document, site.loc)[key] = draw(_ANY_VALUE)
    return Mutation(document, "unknown key", field_path((*site.loc, key), document), True)


def _out_of_range(draw: st.DrawFn, document: dict, sites: list[Site]) -> Mutation | None:
    bounded = [s for s in sites if _bounds(s.model, s.key)]
    if not bounded:
        return None
    site = draw(st.sampled_from(bounded))
    low, high = _bounds(site.model, site.key)  # type: ignore[misc]
    value = draw(st.integers(-(2**63), low - 1) | st.integers(high + 1, 2**63 - 1))
    get(document, site.loc)[site.key] = value
    return Mutation(document, "out of range", field_path((*site.loc, site.key), document), True)


def _bad_name(draw: st.DrawFn, document: dict, sites: list[Site]) -> Mutation | None:
    named = [s for s in sites if _is_name_field(s.model, s.key)]
    if not named:
        return None
    site = draw(st.sampled_from(named))
    container = get(document, site.loc)
    loc: Loc = (*site.loc, site.key)
    if isinstance(container[site.key], list):  # vip_pairs[].hosts
        index = draw(st.integers(0, len(container[site.key]) - 1))
        container[site.key][index] = draw(_NOT_NAMES)
        loc = (*loc, index)
    else:
        container[site.key] = draw(_NOT_NAMES)
    return Mutation(document, "bad name", field_path(loc, document), True)


def _dangling(draw: st.DrawFn, document: dict, sites: list[Site]) -> Mutation | None:
    references = [s for s in sites if (s.model.__name__, s.key) in REFERENCES]
    if not references:
        return None
    site = draw(st.sampled_from(references))
    section = REFERENCES[(site.model.__name__, site.key)]
    defined = {item["name"] for item in document.get(section, [])}
    name = draw(NAMES.filter(lambda n: n not in defined))
    container = get(document, site.loc)
    loc: Loc = (*site.loc, site.key)
    if isinstance(container[site.key], list):
        index = draw(st.integers(0, len(container[site.key]) - 1))
        container[site.key][index] = name
        loc = (*loc, index)
    else:
        container[site.key] = name
    return Mutation(document, "dangling", field_path(loc, document), only_there=False)


def _duplicate(draw: st.DrawFn, document: dict, sites: list[Site]) -> Mutation | None:
    lists = [
        (loc, items)
        for loc, items in _named_lists(document)
        if len(items) >= 2 and len({i["name"] for i in items}) == len(items)
    ]
    if not lists:
        return None
    loc, items = draw(st.sampled_from(lists))
    first, second = sorted(
        draw(st.lists(st.integers(0, len(items) - 1), min_size=2, max_size=2, unique=True))
    )
    items[second]["name"] = items[first]["name"]
    # The rule names the second item by index: its name no longer identifies it.
    return Mutation(document, "dup", f"{field_path(loc, document)}[{second}].name", False)


def _named_lists(document: dict) -> Iterator[tuple[Loc, list[dict]]]:
    for section in ("lb_hosts", "vip_pairs", "health_checks", "pools", "frontends"):
        if document.get(section):
            yield (section,), document[section]
    for i, pool in enumerate(document.get("pools", [])):
        yield ("pools", i, "servers"), pool["servers"]


_MUTATIONS = {
    "wrong type": _wrong_type,
    "missing": _missing,
    "unknown key": _unknown_key,
    "out of range": _out_of_range,
    "bad name": _bad_name,
    "dangling": _dangling,
    "dup": _duplicate,
}
