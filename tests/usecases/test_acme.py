"""The ACME use case's decisions on a real store: due or not, backoff, the challenge route.

Orders themselves run against pebble (tests/acme, tests/lab/test_acme.py); these stop
before any host or ACME server is asked, or fail where the inventory is unreadable.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from controlplane import store
from controlplane.acme import RenewalState
from controlplane.store import acme as acme_store
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.usecases import acme
from controlplane.usecases.revisions import import_yaml
from controlplane.usecases.stored_files import put_certificate
from tests.lab.deploying import LAB_MODEL
from tests.support import SEED
from tests.tls_material import make_ca, make_leaf

ENV = "prod"
ACTOR = store.Actor("tester", "operator", via="cli")
MISSING_INVENTORY = Path("/nonexistent/inventory.yml")


@pytest.fixture(autouse=True)
def files_key(monkeypatch):
    monkeypatch.setenv(FILES_KEY_ENV, new_key())


def model_text(port_80: bool = True) -> str:
    data = yaml.safe_load(LAB_MODEL.read_text())
    data["certificates"] = [{"name": "www", "acme": {"domains": ["www.example.com"]}}]
    data["frontends"].append(
        {"name": "web-tls", "vip_pair": "edge", "port": 443, "mode": "http",
         "default_pool": "app", "tls": {"certificates": ["www"]}}
    )  # fmt: skip
    if not port_80:
        data["frontends"] = [f for f in data["frontends"] if f["name"] != "web"]
    return yaml.safe_dump(data)


def stored(sessions, port_80: bool = True, days: int = 90, deployed: bool = True):
    """An environment whose www certificate was issued (by a test CA) `days` long."""
    leaf = make_leaf(make_ca(), "www.example.com", days=days, not_before_days=0)
    with sessions.begin() as session:
        import_yaml(session, ENV, model_text(port_80), SEED, "acme", None)
        revision = put_certificate(session, ENV, ACTOR, "www", leaf.bundle()).revision
        if deployed:
            deployment = store.create_deployment(session, revision, "tester")
            store.start_deployment(session, deployment.id)
            store.finish_deployment(session, deployment.id, "succeeded", [])
    return leaf.cert


def renew(sessions, **kwargs):
    [outcome] = acme.renew_certificates(sessions, ENV, MISSING_INVENTORY, ACTOR, **kwargs)
    return outcome


def test_an_issued_certificate_is_not_due_before_two_thirds_of_its_lifetime(sessions) -> None:
    cert = stored(sessions)
    start = cert.not_valid_before_utc
    assert renew(sessions, now=start + timedelta(days=59)).status == "not_due"


def test_at_two_thirds_it_is_ordered_and_a_failure_is_recorded_and_audited(sessions) -> None:
    cert = stored(sessions)
    now = cert.not_valid_before_utc + timedelta(days=61)
    outcome = renew(sessions, now=now)
    assert outcome.status == "failed" and "inventory" in outcome.message
    assert (outcome.failures, outcome.failing) == (1, False)
    assert outcome.retry_at == now + timedelta(minutes=1)
    with sessions() as session:
        assert acme_store.renewal_state(session, "www").failures == 1
        [entry] = [e for e in store.list_audit_entries(session) if e.action == "acme.failed"]
    assert entry.target == "certificate www" and entry.detail["failures"] == 1
    # Within the backoff nothing is tried; after it, the next try counts again.
    assert renew(sessions, now=now + timedelta(seconds=30)).status == "backing_off"
    assert renew(sessions, now=now + timedelta(minutes=1)).failures == 2


def test_three_failures_in_a_row_make_the_renewal_failing(sessions) -> None:
    cert = stored(sessions)
    now = cert.not_valid_before_utc + timedelta(days=70)
    with sessions.begin() as session:
        acme_store.record_renewal(session, "www", RenewalState(2, "timeout", now), now)
    outcome = renew(sessions, now=now)
    assert outcome.status == "failed" and outcome.failures == 3 and outcome.failing


def test_a_pair_without_a_port_80_frontend_cannot_be_validated(sessions) -> None:
    cert = stored(sessions, port_80=False)
    outcome = renew(sessions, now=cert.not_valid_before_utc + timedelta(days=61))
    assert outcome.status == "failed"
    assert "no plain-HTTP frontend on port 80" in outcome.message


def test_the_challenge_route_counts_as_live_only_once_deployed(sessions) -> None:
    stored(sessions, deployed=False)
    assert not acme._route_deployed(sessions, ENV, "www")
    with sessions.begin() as session:
        revision = store.current_revision(session, ENV)
        deployment = store.create_deployment(session, revision, "tester")
        store.start_deployment(session, deployment.id)
        store.finish_deployment(session, deployment.id, "succeeded", [])
    assert acme._route_deployed(sessions, ENV, "www")


def test_status_tells_when_it_renews(sessions) -> None:
    cert = stored(sessions)
    with sessions() as session:
        [row] = acme.acme_status(session, ENV, datetime.now(UTC))
    renews = (
        cert.not_valid_before_utc + (cert.not_valid_after_utc - cert.not_valid_before_utc) * 2 / 3
    )
    assert row["issued"] and not row["due"]
    assert row["renews_at"] == renews.isoformat()


def test_an_issue_whose_serving_failed_is_served_again_not_reordered(sessions) -> None:
    cert = stored(sessions, deployed=False)  # stored and in the newest revision, not deployed
    now = cert.not_valid_before_utc + timedelta(days=1)  # far from due
    assert renew(sessions, now=now).status == "not_due"  # no failure: an upload is not ours
    with sessions.begin() as session:
        acme_store.record_renewal(session, "www", RenewalState(1, "rotation failed", now), now)
        number = store.current_revision(session, ENV).number
    assert acme._unserved_revision(sessions, ENV, _current(sessions)) == number
    outcome = renew(sessions, now=now)
    # It deploys the stored certificate's revision (here the deploy fails: no inventory).
    assert outcome.status == "failed" and f"of revision {number} failed" in outcome.message
    assert outcome.failures == 2


def _current(sessions):
    from controlplane.store import files

    with sessions() as session:
        return files.current_file(session, "certificate", "www")
