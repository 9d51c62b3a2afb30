"""Expensive API calls are bounded: per client, and by what one request can cost."""

from __future__ import annotations

import json
import time

from flask.testing import FlaskClient

from controlplane.web.request_limits import EXPENSIVE_BURST, ExpensiveCallLimits
from tests.web.conftest import bearer

ONE_MEGABYTE_OF_ZEROS = ",".join(["0"] * 500_000)


def test_a_client_past_its_budget_gets_429_with_retry_after(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    headers = bearer(tokens["viewer"]) | {"Content-Type": "application/json"}
    answers = [
        client.post("/api/v1/validate", data='{"model": {}}', headers=headers).status_code
        for _ in range(EXPENSIVE_BURST)
    ]
    assert answers == [200] * EXPENSIVE_BURST
    refused = client.post("/api/v1/validate", data='{"model": {}}', headers=headers)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "too many validate/render/plan/status calls" in refused.get_json()["error"]


def test_another_client_keeps_its_own_budget(client: FlaskClient, tokens: dict[str, str]) -> None:
    for _ in range(EXPENSIVE_BURST + 1):
        client.post("/api/v1/validate", json={"model": {}}, headers=bearer(tokens["viewer"]))
    other = client.post("/api/v1/validate", json={"model": {}}, headers=bearer(tokens["admin"]))
    assert other.status_code == 200


def test_a_megabyte_of_wrong_values_is_answered_at_once_with_capped_errors(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    model = client.get("/api/v1/model", headers=bearer(tokens["viewer"])).get_json()["model"]
    body = json.dumps({"model": model}).replace(
        '"vips": ["198.18.0.100/24"]', f'"vips": [{ONE_MEGABYTE_OF_ZEROS}]'
    )
    assert len(body) > 10**6
    started = time.monotonic()
    answer = client.post(
        "/api/v1/validate",
        data=body,
        headers=bearer(tokens["viewer"]) | {"Content-Type": "application/json"},
    ).get_json()
    elapsed = time.monotonic() - started
    assert answer["valid"] is False
    assert [e["path"] for e in answer["errors"]] == ["vip_pairs[edge].vips"]
    assert elapsed < 2.0  # measured 0.2 s here; 4.8 s and +480 MB before the budget


def test_a_client_runs_at_most_two_calls_at_once_except_shared_ones() -> None:
    budget = ExpensiveCallLimits()
    assert budget.acquire("a") is None and budget.acquire("a") is None
    assert budget.acquire("a") is not None  # a third, while two run
    assert budget.acquire("b") is None  # another client
    assert budget.acquire("a", shared=True) is None  # status: callers share one run
    budget.release("a")  # the shared one ends
    assert budget.acquire("a") is not None
    budget.release("a")  # one of the two ends
    assert budget.acquire("a") is None
