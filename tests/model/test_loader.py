"""Parsing: malformed documents get a position, hostile ones a bounded, clear refusal."""

from __future__ import annotations

import time

import pytest
import yaml

from controlplane.errors import ModelInvalid
from controlplane.model import guards, load_model
from tests.support import EXAMPLE


def _errors(text: str | bytes, source: str = "m.yaml") -> list[str]:
    with pytest.raises(ModelInvalid) as failure:
        load_model(text, source)
    return [str(e) for e in failure.value.errors]


def test_malformed_yaml_reports_line_and_column():
    assert _errors("lb_hosts:\n  - {name: lb1\n") == [
        "line 3, column 1: did not find expected ',' or '}'"
    ]


def test_duplicate_keys_are_refused_not_silently_merged():
    assert _errors("lb_hosts: []\nlb_hosts: []\n") == ["line 2, column 1: duplicate key 'lb_hosts'"]


def test_a_nested_duplicate_key_is_located():
    text = "pools:\n- name: a\n  servers: [{name: x, port: 1, name: y}]\n"
    assert _errors(text) == ["line 3, column 32: duplicate key 'name'"]


def test_yaml_1_2_scalars_keep_yes_and_on_as_strings():
    text = EXAMPLE.read_text().replace("name: app1,", "name: on,", 1)
    assert load_model(text).model.pools[0].servers[0].name == "on"


def test_tags_are_not_constructed():
    text = EXAMPLE.read_text().replace("name: app1,", "name: !!python/object:os.system app1,", 1)
    assert load_model(text).model.pools[0].servers[0].name == "app1"


def test_top_level_must_be_a_mapping():
    assert _errors("- a\n") == ["must be a mapping at the top level, got a list"]


def test_non_utf8_is_refused():
    assert _errors(b"lb_hosts: \xff") == ["not UTF-8 text (byte 10)"]


def test_json_documents_are_accepted_and_json_errors_have_a_position():
    assert _errors('{"lb_hosts": [}', "m.json") == ["line 1, column 15: Expecting value"]
    data = '{"lb_hosts": [{"name": "a", "address": "198.18.0.1", "interface": "eth0"}]}'
    assert load_model(data, "m.json").model.lb_hosts[0].name == "a"


@pytest.mark.parametrize(
    "loader",
    # libyaml (PyYAML 6.0.4's stops at 1,000 levels before the first event) and PyYAML's
    # pure-Python parser (no limit of its own): the guard answers the same with either.
    [yaml.CSafeLoader, yaml.SafeLoader],
    ids=["libyaml", "pure-python"],
)
def test_deep_nesting_is_refused_without_crashing(monkeypatch, loader):
    monkeypatch.setattr(guards, "_LOADER", loader)
    assert _errors("[" * 100_000 + "]" * 100_000) == [
        "line 1, column 65: nested deeper than 64 levels"
    ]


def test_deep_nesting_is_placed_after_quoted_brackets():
    text = 'a: ["[[[[", ' + "[" * 2_000 + "]" * 2_000 + "]"
    assert _errors(text) == ["line 1, column 75: nested deeper than 64 levels"]


def test_alias_bomb_is_refused_in_bounded_time():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(9):
        name, prev = chr(98 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.monotonic()
    assert _errors("\n".join(lines)) == ["aliases expand the document past 64 MiB (alias bomb?)"]
    assert time.monotonic() - started < 10


def test_huge_document_is_refused_before_parsing():
    assert _errors("x" * (17 * 2**20)) == ["document is larger than 16 MiB"]


def test_yaml_anchors_and_merge_keys_still_work():
    text = EXAMPLE.read_text().replace(
        "      - {name: app1, address: 198.18.0.20, port: 8080}",
        "      - &s {name: app1, address: 198.18.0.20, port: 8080}\n"
        "      - {<<: *s, name: app4, address: 198.18.0.23}",
        1,
    )
    servers = load_model(text).model.pools[0].servers
    assert [(s.name, s.port) for s in servers][:2] == [("app1", 8080), ("app4", 8080)]
