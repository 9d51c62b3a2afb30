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
from controlplane.render import render_model
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
# Printed between double quotes with line breaks escaped: `"` or `\` would break out.
SENT = ("send",)
SENT_SUFFIXES = ("nul", "double-quote", "backslash", "unicode-look-alike", "very-long")


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


@pytest.mark.parametrize("field", ["send", "agent"])
def test_line_breaks_in_sent_text_are_escaped_never_printed(field: str) -> None:
    data = copy.deepcopy(PROXIES)
    hostile = "x\n    bind :1\r\n"
    if field == "send":
        data["health_checks"][1]["send"] = hostile
    else:
        data["health_checks"][0]["agent"]["send"] = hostile
    cfg = render_model(validate_data(data).model).hosts[0].files["haproxy.cfg"]
    assert "\n    bind :1" not in cfg and "x\\n    bind :1\\r\\n" in cfg
