"""/metrics without LBCTL_METRICS_TOKEN is for local clients only."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_metrics_without_a_token_set_refuse_a_remote_client(client: FlaskClient) -> None:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 401
    assert "set it" in response.get_data(as_text=True)
    assert "LBCTL_METRICS_TOKEN" in response.get_data(as_text=True)
