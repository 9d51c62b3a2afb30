"""Exporting a model gives back the CLI's file format: load -> dump -> load is lossless."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controlplane.model import dump_model_yaml, load_model, model_document, validate_data
from tests.support import EXAMPLE, MODELS

DOCUMENTS = [*sorted(MODELS.glob("*.yaml")), EXAMPLE]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_every_model_round_trips_through_yaml_unchanged(path: Path):
    model = load_model(path.read_text(), str(path)).model
    dumped = dump_model_yaml(model)
    again = load_model(dumped).model
    assert again == model
    assert dump_model_yaml(again) == dumped


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_model_document_is_accepted_by_validate_data(path: Path):
    model = load_model(path.read_text(), str(path)).model
    assert validate_data(model_document(model)).model == model


def test_defaults_are_left_out_of_the_export():
    model = load_model(EXAMPLE.read_text()).model
    document = model_document(model)
    assert "settings" not in document  # the example only spells out default settings
    assert document["health_checks"][1] == {"name": "tcp-ok", "type": "tcp"}


def test_keys_come_in_schema_order_in_block_style():
    dumped = dump_model_yaml(load_model(EXAMPLE.read_text()).model)
    top_level = [line.split(":")[0] for line in dumped.splitlines() if line[0] not in " -"]
    assert top_level == ["lb_hosts", "vip_pairs", "health_checks", "pools", "frontends"]
    assert "{" not in dumped and "[" not in dumped


def test_values_that_look_like_other_yaml_types_stay_strings():
    names = ["true", "null", "1_000", "1e3", "0o17", "on", "08", "1.5"]
    document = {
        "lb_hosts": [{"name": "lb1", "address": "198.18.0.10", "interface": "eth0"}],
        "pools": [
            {
                "name": "p",
                "servers": [
                    {"name": name, "address": f"198.18.0.{i + 20}", "port": 80}
                    for i, name in enumerate(names)
                ],
                "extra": ["http-response set-header X-A: b #c", "timeout tarpit 5s"],
            }
        ],
        "settings": {"chroot": None, "log_target": "127.0.0.1:514"},
    }
    model = validate_data(document).model
    dumped = dump_model_yaml(model)
    assert yaml.safe_load(dumped)["pools"][0]["servers"][0]["name"] == "true"
    assert load_model(dumped).model == model
    assert "chroot: null" in dumped
