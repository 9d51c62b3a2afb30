"""Two VIP pairs on four lab hosts: the pairs deploy side by side, each pair BACKUP first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controlplane import lab as lab_api
from controlplane.deploy import DeployResult
from controlplane.lab import Lab
from controlplane.lab.multi_pair import multi_pair_document, pair_vip
from controlplane.model import validate_data
from tests.lab.deploying import deploy, statuses, wait_for


@pytest.fixture(scope="module")
def four_hosts(lab_session: None) -> Iterator[Lab]:
    try:
        yield lab_api.up(lb_hosts=4, backends=3)
    finally:
        lab_api.up(lb_hosts=2, backends=3)  # the layout every other module expects


def _span(result: DeployResult, host: str) -> tuple[float, float]:
    # From the host's first deploy step (the probe ran for every host before) to its last event.
    mine = [e for e in result.events if e.host == host]
    return min(e.at for e in mine if e.task.startswith("stage")), max(e.at for e in mine)


def test_two_pairs_deploy_in_parallel_and_both_serve(four_hosts: Lab) -> None:
    model = validate_data(multi_pair_document(2)).model
    result = deploy(four_hosts, model)
    assert result.ok, [(h.host, h.status, h.failed_step, h.error) for h in result.hosts]
    assert {host for host, status in statuses(result) if status == "changed"} == {
        "lb1",
        "lb2",
        "lb3",
        "lb4",
    }
    first_pair = [_span(result, h) for h in ("lb1", "lb2")]
    second_pair = [_span(result, h) for h in ("lb3", "lb4")]
    for spans in (first_pair, second_pair):  # within a pair, one host after the other
        (_, a_end), (b_start, _) = sorted(spans)
        assert a_end <= b_start
    # Across pairs the deploys overlap in time.
    assert min(s for s, _ in second_pair) < max(e for _, e in first_pair)
    assert min(s for s, _ in first_pair) < max(e for _, e in second_pair)
    for pair in (1, 2):
        url = f"http://{pair_vip(pair)}/"
        assert wait_for(lambda url=url: _serves(four_hosts, url), 15), f"{url} does not serve"


def _serves(lab: Lab, url: str) -> bool:
    done = lab.exec_in_client(["curl", "-fsS", "-m", "2", "-o", "/dev/null", url], check=False)
    return done.returncode == 0
