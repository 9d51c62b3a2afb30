"""Hostile input: no string that reaches a config may inject a directive.

Every string leaf of a model that sets nearly every field is tried with each payload;
each attempt must be refused with an error naming that exact field.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from controlplane.errors import ModelInvalid
from controlplane.model import validate_data
from controlplane.model.loader import format_path
from tests.support import MODELS, load_yaml

FULL = load_yaml(MODELS / "sticky_tls_tcp.yaml")

# Appended to a valid value: each would end the directive or start another one.
SUFFIXES = {
    "newline": "\n    bind :1",
    "carriage-return": "\r",
    "nul": "\x00",
    "hash": " #x",
    "double-quote": '"',
    "single-quote": "'",
    "space": " x",
    "backslash": "\\",
    "unicode-look-alike": "\u0430",  # Cyrillic a
    "very-long": "a" * 5000,
}
# In `extra` a directive may legitimately hold spaces, quotes and '#': only these apply.
EXTRA_SUFFIXES = ("newline", "carriage-return", "nul", "unicode-look-alike", "very-long")


def _string_leaves(node: Any, loc: tuple[str | int, ...] = ()) -> Iterator[tuple]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _string_leaves(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _string_leaves(value, (*loc, index))
    elif isinstance(node, str):
        yield loc


def _set(data: dict, loc: tuple, value: str) -> None:
    target = data
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = value


def _cases() -> Iterator[Any]:
    for loc in _string_leaves(FULL):
        suffixes = EXTRA_SUFFIXES if "extra" in loc else SUFFIXES
        for suffix in suffixes:
            yield pytest.param(loc, suffix, id=f"{format_path(loc, FULL)}-{suffix}")


def test_the_corpus_covers_every_kind_of_string_field():
    paths = {format_path(loc, FULL) for loc in _string_leaves(FULL)}
    for expected in (
        "lb_hosts[lb-a].name",
        "lb_hosts[lb-a].interface",
        "vip_pairs[public].vips[0]",
        "vip_pairs[public].authentication.password",
        "health_checks[http-ok].path",
        "pools[shop].cookie_name",
        "pools[shop].servers[shop1].address",
        "frontends[https].tls.certificate",
        "frontends[https].routes[1].host",
        "frontends[https].extra[0]",
        "settings.extra[0]",
        "settings.timeouts.connect",
    ):
        assert expected in paths


@pytest.mark.parametrize(("loc", "suffix"), list(_cases()))
def test_injection_is_refused_naming_the_field(loc: tuple, suffix: str) -> None:
    data = copy.deepcopy(FULL)
    original = data
    for part in loc:
        original = original[part]
    _set(data, loc, original + SUFFIXES[suffix])
    with pytest.raises(ModelInvalid) as failure:
        validate_data(data)
    expected = format_path(loc, data)
    assert expected in [e.path for e in failure.value.errors]
    assert all("\n" not in str(e) and "\r" not in str(e) for e in failure.value.errors)


@pytest.mark.parametrize(
    "directive", ["frontend evil", "  backend x", "listen x", "# hidden", "global", "peers p"]
)
def test_extra_cannot_open_a_section_or_hide_a_comment(directive: str) -> None:
    data = copy.deepcopy(FULL)
    data["pools"][0]["extra"] = [directive]
    with pytest.raises(ModelInvalid) as failure:
        validate_data(data)
    assert [e.path for e in failure.value.errors] == ["pools[sessions].extra[0]"]
