"""Metrics, alerts and the status poller, wired into the app; serves GET /metrics."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.orm import Session, sessionmaker

from .. import store
from ..model import LbModel
from ..model.config_files import FileContents
from ..observe.alerts import ENGINE_KEY, Alert, AlertEngine
from ..observe.cache import StatusCache
from ..observe.certificates import CertificateAlerts, CertificateExpiry
from ..observe.drift_watch import DriftWatch
from ..observe.metrics import ControlPlaneMetrics, MetricSources
from ..observe.poller import StatusPoller
from ..observe.webhooks import WebhookSender
from ..usecases import revisions
from ..usecases.deployments import deployment_finished
from ..usecases.revisions import revision_rendered
from ..usecases.stored_files import revision_contents
from .config import WebSettings

log = logging.getLogger(__name__)
bp = Blueprint("monitoring", __name__)
CACHE_KEY = "lbctl.status_cache"
METRICS_KEY = "lbctl.metrics"
SENDER_KEY = "lbctl.webhooks"
POLLER_KEY = "lbctl.poller"
DRIFT_KEY = "lbctl.drift"
CERTIFICATES_KEY = "lbctl.certificate_alerts"


def init_app(
    app: Flask, settings: WebSettings, sessions: sessionmaker[Session], background: bool
) -> None:
    """Give the app its status cache, alert engine, webhooks and metrics; poll if asked."""
    cache = StatusCache(max_age_s=max(settings.status_interval_s, 15.0))
    app.extensions[CACHE_KEY] = cache
    sender = WebhookSender(list(settings.alert_webhooks))
    engine = AlertEngine(settings.environment, lambda alert: _deliver(sender, alert))
    app.extensions[SENDER_KEY] = sender
    app.extensions[ENGINE_KEY] = engine

    def deployed_model() -> tuple[int, LbModel, FileContents | None] | None:
        with sessions() as session:
            deployed = revisions.deployed_revision(session, settings.environment)
            if deployed is None:
                return None
            model = store.revision_model(deployed)
            return deployed.number, model, revision_contents(session, deployed, model)

    drift = DriftWatch(deployed_model, settings.environment, settings.inventory, engine)
    app.extensions[DRIFT_KEY] = drift

    def certificates() -> list[CertificateExpiry]:
        with sessions() as session:
            deployed = revisions.deployed_revision(session, settings.environment)
            return [
                CertificateExpiry(row.name, row.not_after, row.fingerprint_sha256 or "")
                for row in store.files.certificates_in_service(session, deployed)
                if row.not_after is not None
            ]

    certificate_alerts = CertificateAlerts(engine, certificates, settings.certificate_alert_days)
    app.extensions[CERTIFICATES_KEY] = certificate_alerts

    def latest_status() -> Any:
        return app.extensions[CACHE_KEY].latest(settings.inventory)

    metrics = ControlPlaneMetrics(
        MetricSources(
            sessions,
            latest_status,
            engine.firing,
            lambda: {"delivered": sender.delivered, "failed": sender.failed},
            certificates,
        )
    )
    app.extensions[METRICS_KEY] = metrics
    _listen(app, sessions, engine, metrics)
    app.register_blueprint(bp)
    if background and settings.status_interval_s > 0:
        poller = StatusPoller(
            lambda: app.extensions[CACHE_KEY],
            settings.inventory,
            engine,
            settings.status_interval_s,
            drift_check=drift.check,
            certificate_check=certificate_alerts.check,
        )
        app.extensions[POLLER_KEY] = poller
        poller.start()
    if background and settings.acme_interval_s > 0:
        from .acme_renewal import start_acme_schedule

        start_acme_schedule(app, settings, sessions, engine)


def status_cache() -> StatusCache:
    """Return the app's status cache: pages, the API, metrics and the poller share it."""
    return current_app.extensions[CACHE_KEY]


def _deliver(sender: WebhookSender, alert: Alert) -> None:
    log.info("alert %s %s %s: %s", alert.state, alert.kind, alert.subject, alert.message)
    sender(alert)


def _listen(app: Flask, sessions: sessionmaker[Session], engine: AlertEngine, metrics: Any) -> None:
    """Subscribe to renders (timed) and finished deployments (deploy_failed alerts)."""

    def rendered(_environment: str, seconds: float = 0.0, **_: Any) -> None:
        metrics.render_seconds.observe(seconds)

    def finished(_sessions: Any, deployment_id: int = 0, state: str = "", **_: Any) -> None:
        try:
            subject = engine.environment
            if state == "succeeded":
                engine.resolve("deploy_failed", subject, f"deployment {deployment_id} succeeded")
            elif state in ("failed", "interrupted"):
                message = _failure(sessions, deployment_id, state)
                engine.fire("deploy_failed", subject, message, "critical")
        except Exception:  # alerting must never break the deploy thread
            log.exception("deploy alert for deployment %s failed", deployment_id)

    # blinker holds receivers weakly: the app keeps them alive, and they go with it.
    app.extensions["lbctl.signal_receivers"] = (rendered, finished)
    revision_rendered.connect(rendered)
    deployment_finished.connect(finished, sender=sessions)


def _failure(sessions: sessionmaker[Session], deployment_id: int, state: str) -> str:
    """Return one line naming the deployment, the failed host and step, and the error."""
    with sessions() as session:
        deployment = store.get_deployment(session, deployment_id)
        text = f"deployment {deployment_id} of revision {deployment.revision.number} {state}"
        bad = ("failed", "rolled back", "unreachable")
        failed = [h for h in deployment.host_results or [] if h.get("status") in bad]
        if failed:
            host = failed[0]
            text += f": {host.get('host')} {host.get('status')}"
            if host.get("failed_step"):
                text += f" at {host['failed_step']}"
            if host.get("error"):
                text += f": {host['error']}"
        else:
            events = store.list_events(session, deployment_id)
            errors = [e.message for e in events if e.kind == "failed"]
            if errors:
                text += f": {errors[-1]}"
    return text[:500]


@bp.get("/metrics")
def metrics() -> Any:
    """Prometheus text for the LBCTL_METRICS_TOKEN bearer, or for local clients without one."""
    token = current_app.config["LBCTL"].metrics_token
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        matches = hmac.compare_digest(given.strip().encode(), token.encode())
        if scheme.lower() != "bearer" or not matches:
            return _unauthorized("a valid metrics token is required (Authorization: Bearer)")
    elif not _loopback(request.remote_addr):
        return _unauthorized(
            "/metrics answers only local clients while LBCTL_METRICS_TOKEN is unset: set it "
            "on the control plane and send it as Authorization: Bearer"
        )
    registry = current_app.extensions[METRICS_KEY].registry
    return Response(generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST})


def _unauthorized(message: str) -> Response:
    return Response(f"{message}\n", 401, {"WWW-Authenticate": "Bearer"}, mimetype="text/plain")


def _loopback(address: str | None) -> bool:
    # The peer of this connection: X-Forwarded-For is not read, a client could forge it.
    try:
        peer = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped:
        peer = peer.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack listener
    return peer.is_loopback
