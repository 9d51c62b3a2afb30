"""Certificate expiry: the gauge on /metrics, and certificate_expiring / certificate_expired
alerts sent to a real webhook at the right thresholds, resolved by a renewal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from controlplane import store
from controlplane.observe.poller import StatusPoller
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.usecases import stored_files
from controlplane.web import create_app
from controlplane.web.monitoring import CERTIFICATES_KEY
from tests.observe.webhook_receiver import WebhookReceiver, webhook_receiver
from tests.support import EXAMPLE
from tests.tls_material import make_ca, make_leaf

from .test_monitoring import scrape
from .ui_support import use_fake_status

ADMIN = store.Actor("alice", "admin", None, "api")
METRIC = "lbctl_certificate_expiry_timestamp_seconds"


@pytest.fixture(scope="module")
def ca():
    return make_ca()


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def app(tmp_path: Path, hook: WebhookReceiver, monkeypatch) -> Iterator[Flask]:
    monkeypatch.setenv(FILES_KEY_ENV, new_key())
    made = create_app(
        home=tmp_path / "instance",
        environment="example",
        inventory=EXAMPLE.parent / "hosts.yml",
        secure_cookies=False,
        admin_password=None,
        alert_webhooks=(hook.url,),
        certificate_alert_days=14,
    )
    made.config["TESTING"] = True
    yield made
    made.extensions["lbctl.sessions"].kw["bind"].dispose()


def put(app: Flask, name: str, leaf) -> None:
    with app.extensions["lbctl.sessions"].begin() as session:
        stored_files.put_certificate(session, "example", ADMIN, name, leaf.bundle())


def test_the_gauge_gives_each_certificates_not_after(app: Flask, ca):
    leaf = make_leaf(ca, "www.example.com", days=30)
    put(app, "site", leaf)
    samples = scrape(app.test_client())
    assert samples[(METRIC, ("name", "site"))] == leaf.cert.not_valid_after_utc.timestamp()


def test_expiring_fires_under_the_threshold_and_not_at_it(app: Flask, hook, ca):
    leaf = make_leaf(ca, "soon.example", days=60)
    put(app, "soon", leaf)
    not_after = leaf.cert.not_valid_after_utc
    checks = app.extensions[CERTIFICATES_KEY]
    checks.check(now=not_after - timedelta(days=14, minutes=1))  # 14 days left: quiet
    assert hook.wait_for(1, 0.3) == []
    checks.check(now=not_after - timedelta(days=13, hours=23))  # 13 days left: fires
    (alert,) = hook.wait_for(1, 5)
    assert (alert["kind"], alert["subject"], alert["severity"], alert["state"]) == (
        "certificate_expiring",
        "certificate soon",
        "warning",
        "firing",
    )
    assert "expires in 13 days" in alert["message"] and "BEGIN" not in alert["message"]
    checks.check(now=not_after - timedelta(days=13))  # still firing: not sent again
    assert len(hook.wait_for(2, 0.3)) == 1


def test_expired_is_critical_and_a_renewal_resolves_it(app: Flask, hook, ca):
    put(app, "site", make_leaf(ca, "www.example.com", days=20))
    checks = app.extensions[CERTIFICATES_KEY]
    checks.check(now=datetime.now(UTC) + timedelta(days=21))
    (expired,) = hook.wait_for(1, 5)
    assert (expired["kind"], expired["severity"]) == ("certificate_expired", "critical")
    assert "expired on" in expired["message"]
    put(app, "site", make_leaf(ca, "www.example.com", days=365))
    checks.check(now=datetime.now(UTC) + timedelta(days=21))
    resolved = hook.wait_for(2, 5)[1]
    assert (resolved["kind"], resolved["state"]) == ("certificate_expired", "resolved")


def test_the_threshold_comes_from_the_environment(monkeypatch):
    from controlplane.web.config import WebSettings

    monkeypatch.setenv("LBCTL_CERT_ALERT_DAYS", "21")
    assert WebSettings.from_environ().certificate_alert_days == 21
    monkeypatch.setenv("LBCTL_CERT_ALERT_DAYS", "two weeks")
    with pytest.raises(ValueError, match="LBCTL_CERT_ALERT_DAYS must be a whole number"):
        WebSettings.from_environ()


def test_the_poller_checks_certificates_every_round(app: Flask, hook, ca):
    use_fake_status(app)
    put(app, "site", make_leaf(ca, "www.example.com", days=3))
    poller = StatusPoller(
        lambda: app.extensions["lbctl.status_cache"],
        app.config["LBCTL"].inventory,
        app.extensions["lbctl.alerts"],
        0.0,
        certificate_check=app.extensions[CERTIFICATES_KEY].check,
    )
    poller.poll_once()
    kinds = [(a["kind"], a["subject"]) for a in hook.wait_for(1, 5)]
    assert ("certificate_expiring", "certificate site") in kinds
