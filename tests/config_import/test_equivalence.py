"""The promise of `lbctl import`, proven: the rendered import serves what the original did.

For every corpus case, the original haproxy.cfg and the rendering of its import are served
side by side in private namespaces with the same loopback backends, and requests derived
from the original's rules get the same servers, status and Location from both. Mutations
of an import (a swapped rule, a changed port) must be caught.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.config_import.corpus import (
    CASES,
    NOT_EQUIVALENT,
    announced_ports,
    imported_model,
    prepared,
)
from tests.config_import.equivalence import can_run, compare

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not can_run(), reason="needs root, unshare and haproxy"),
]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=NOT_EQUIVALENT[c]))
        if c in NOT_EQUIVALENT
        else c
        for c in CASES
    ],
)
def test_the_rendered_import_serves_the_same(case: str, tmp_path: Path) -> None:
    folder = prepared(case, tmp_path / "in")
    model, report = imported_model(folder, tmp_path / "model")
    differences, asked = compare(folder, "lb1", model, tmp_path / "model")
    assert asked >= 6
    # A difference is allowed only where the report announced one (exit status 1).
    announced = announced_ports(case)
    unannounced = [d for d in differences if d.request["port"] not in announced]
    assert not unannounced, "\n".join(str(d) for d in unannounced[:10])
    if announced:
        assert report.exit_status == 1
        assert any(i.outcome == "differs" for i in report.items)


@pytest.fixture(scope="module")
def routing_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("routing")
    folder = prepared("host_path_routing", tmp / "in")
    return folder, imported_model(folder, tmp / "model")[0]


def test_a_swapped_rule_is_caught(routing_case: tuple[Path, dict], tmp_path: Path) -> None:
    folder, model = routing_case
    mutated = copy.deepcopy(model)
    rules = mutated["frontends"][0]["rules"]
    first, second = [i for i, r in enumerate(rules) if "use_pool" in r][:2]
    rules[first], rules[second] = rules[second], rules[first]  # api-write after api
    differences, _ = compare(folder, "lb1", mutated, tmp_path)
    assert any(d.request["method"] in ("POST", "PUT", "DELETE") for d in differences)


def test_a_changed_port_is_caught(routing_case: tuple[Path, dict], tmp_path: Path) -> None:
    folder, model = routing_case
    mutated = copy.deepcopy(model)
    mutated["frontends"][0]["port"] = 8080
    differences, asked = compare(folder, "lb1", mutated, tmp_path)
    assert len(differences) == asked
