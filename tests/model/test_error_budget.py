"""Validation stops after the errors anyone reads; the first ones are still located exactly."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from controlplane.errors import ModelInvalid
from controlplane.model import error_budget, validate_data
from controlplane.model.error_budget import MAX_ERRORS
from controlplane.model.schema import LbModel


def _errors(document: dict) -> list[str]:
    with pytest.raises(ModelInvalid) as refused:
        validate_data(document)
    return [str(e) for e in refused.value.errors]


def test_a_document_with_few_errors_lists_each_as_before(example):
    example["pools"][0]["servers"][0]["port"] = 0
    example["lb_hosts"][1]["address"] = "x"
    assert _errors(example) == [
        "lb_hosts[lb2].address: must be an IPv4 address like 198.18.0.10, got 'x'",
        "pools[app].servers[app1].port: must be 1-65535, got 0",
    ]


def test_past_the_budget_the_first_errors_are_located_and_the_rest_not_counted(example):
    server = example["pools"][0]["servers"][0]
    example["pools"][0]["servers"] = [
        {**copy.deepcopy(server), "name": f"s{i}", "port": 0} for i in range(5_000)
    ]
    errors = _errors(example)
    assert len(errors) == MAX_ERRORS + 1
    assert errors[0] == "pools[app].servers[s0].port: must be 1-65535, got 0"
    assert errors[MAX_ERRORS - 1] == "pools[app].servers[s199].port: must be 1-65535, got 0"
    assert errors[-1] == f"... and more errors (only the first {MAX_ERRORS} are listed)"


def test_errors_across_several_lists_keep_document_order(example):
    example["lb_hosts"] = [
        {"name": f"h{i}", "address": "x", "interface": "eth0"} for i in range(150)
    ]
    example["pools"][0]["servers"] = [{"name": f"s{i}", "port": 0} for i in range(150)]
    errors = _errors(example)
    assert errors[0] == "lb_hosts[h0].address: must be an IPv4 address like 198.18.0.10, got 'x'"
    assert (
        errors[149] == "lb_hosts[h149].address: must be an IPv4 address like 198.18.0.10, got 'x'"
    )
    assert errors[150].startswith("pools[app].servers[s0]")


def test_a_list_longer_than_the_format_allows_is_one_error(example):
    example["vip_pairs"][0]["vips"] = ["0"] * 1_000
    assert _errors(example) == [
        "vip_pairs[edge].vips: must have at most 255 items after validation, not 1000"
    ]


def test_an_object_with_too_many_keys_is_one_error(example):
    example["lb_hosts"][0].update({f"k{i}": 1 for i in range(100)})
    assert _errors(example) == [
        "lb_hosts[lb1]: has 103 keys; no object of the format has more than 64"
    ]


def test_past_the_budget_valid_items_between_wrong_ones_are_passed_over_in_order(example):
    server = example["pools"][0]["servers"][0]
    servers = []
    for i in range(600):
        port = 0 if i % 3 == 0 else 8080  # every third one wrong: 200 of the first 600
        servers.append({**copy.deepcopy(server), "name": f"s{i}", "port": port})
    servers.append({**copy.deepcopy(server), "name": "last", "port": 0})
    example["pools"][0]["servers"] = servers
    errors = _errors(example)
    assert errors[:3] == [
        f"pools[app].servers[s{i}].port: must be 1-65535, got 0" for i in (0, 3, 6)
    ]
    assert errors[MAX_ERRORS - 1] == "pools[app].servers[s597].port: must be 1-65535, got 0"


def test_a_mapping_valid_as_a_pool_is_still_searched_where_it_is_a_frontend(example):
    # A YAML alias makes one mapping two items: valid as a pool, wrong as a frontend.
    pools = [
        {"name": f"p{i}", "servers": [{"name": "s", "address": "198.18.1.1", "port": 80}]}
        for i in range(MAX_ERRORS + 1)
    ]
    example["pools"] += pools
    example["frontends"] += pools
    errors = _errors(example)
    assert errors[0] == "frontends[p0].vip_pair: is required", errors[0]
    assert len(errors) == MAX_ERRORS + 1


def _recordings(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Return, filled as validations run, whether each budget recorded valid items."""
    made: list[bool] = []
    original = error_budget._Budget.__init__

    def recording(budget: Any, left: int, valid: Any) -> None:
        made.append(valid is not None)
        original(budget, left, valid)

    monkeypatch.setattr(error_budget._Budget, "__init__", recording)
    return made


def test_a_valid_document_is_validated_once_recording_nothing(example, monkeypatch):
    made = _recordings(monkeypatch)
    model, errors, more = error_budget.first_errors(LbModel, example)
    assert isinstance(model, LbModel) and errors == [] and more == 0
    assert made == [False]


def test_errors_within_the_budget_come_from_the_one_validation(example, monkeypatch):
    made = _recordings(monkeypatch)
    example["pools"][0]["servers"][0]["port"] = 0
    _model, errors, more = error_budget.first_errors(LbModel, example)
    assert [e["loc"] for e in errors] == [("pools", 0, "servers", 0, "port")] and more == 0
    assert made == [False]


def test_past_the_budget_the_search_has_the_valid_items_recorded(example, monkeypatch):
    made = _recordings(monkeypatch)
    server = example["pools"][0]["servers"][0]
    example["pools"][0]["servers"] = [
        {**copy.deepcopy(server), "name": f"s{i}", "port": 0 if i > 10 else 80}
        for i in range(MAX_ERRORS + 20)
    ]
    _model, errors, more = error_budget.first_errors(LbModel, example)
    assert len(errors) == MAX_ERRORS and more is None
    assert errors[0]["loc"] == ("pools", 0, "servers", 11, "port")
    assert made[:2] == [False, True]  # then the search's own budgets, each recording
    assert all(made[2:])
