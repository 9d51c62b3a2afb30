"""Hostile input in user lists, stats pages, logging and proxy options: refused by path.

Every string leaf of tests/golden_inputs/proxies.yaml (which sets every field of these
areas) is tried with each payload of test_injection.py. Free text that lbctl quotes may
hold spaces, '#' and the other quote: only what would end its quote or its line is tried
there, and what it accepts is shown to stay inside the quote (tests/render/test_proxies.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from controlplane.errors import ModelInvalid
from controlplane.model import validate_data
from controlplane.model.loader import format_path
from tests.model.test_injection import SUFFIXES, _set, _string_leaves
from tests.support import MODELS, load_yaml

PROXIES = load_yaml(MODELS / "proxies.yaml")
# Printed between single quotes: a quote or a line end would break out.
SINGLE_QUOTED = ("custom_format", "format", "expect_string", "expect_regex")
SINGLE_QUOTED_SUFFIXES = (
    "newline",
    "carriage-return",
    "nul",
    "single-quote",
    "unicode-look-alike",
    "very-long",
)
# Printed between double quotes, its line breaks written \r \n: all but space and '#'.
SENT = ("send",)
SENT_SUFFIXES = tuple(s for s in SUFFIXES if s not in ("space", "hash", "single-quote"))


def _cases() -> Iterator[Any]:
    for loc in _string_leaves(PROXIES):
        if loc[0] in ("lb_hosts", "vip_pairs") or loc[-1] == "extra":
            continue  # test_injection.py covers these
        if loc[-1] in SINGLE_QUOTED:
            suffixes: tuple[str, ...] = SINGLE_QUOTED_SUFFIXES
        elif loc[-1] in SENT:
            suffixes = SENT_SUFFIXES
        else:
            suffixes = tuple(SUFFIXES)
        for suffix in suffixes:
            yield pytest.param(loc, suffix, id=f"{format_path(loc, PROXIES)}-{suffix}")


def test_the_corpus_covers_every_new_kind_of_string_field() -> None:
    paths = {format_path(loc, PROXIES) for loc in _string_leaves(PROXIES)}
    for expected in (
        "userlists[ops].users[ann].name",
        "userlists[ops].users[ann].password",
        "stats_pages[ops].refresh",
        "settings.log_targets[1].address",
        "frontends[web].logging.custom_format",
        "frontends[web].logging.request_id.header",
        "frontends[web].compression.types[0]",
        "health_checks[redis].send",
        "health_checks[ready].agent.send",
        "health_checks[ready].expect_regex",
        "pools[app].default_server.slow_start",
        "pools[app].servers[app2].send_proxy",
    ):
        assert expected in paths


@pytest.mark.parametrize(("loc", "suffix"), list(_cases()))
def test_injection_is_refused_naming_the_field(loc: tuple, suffix: str) -> None:
    data = copy.deepcopy(PROXIES)
    original = data
    for part in loc:
        original = original[part]
    _set(data, loc, original + SUFFIXES[suffix])
    with pytest.raises(ModelInvalid) as failure:
        validate_data(data)
    assert format_path(loc, data) in [e.path for e in failure.value.errors]
    assert all("\n" not in str(e) and "\r" not in str(e) for e in failure.value.errors)
