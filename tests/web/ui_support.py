"""Helpers for the UI tests: a fake live status, the newest revision, a deploy that runs nowhere."""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from controlplane import store
from controlplane.observe import EnvironmentStatus, HostStatus, ServerState, VrrpState, findings
from controlplane.observe.cache import StatusCache

from .conftest import csrf_token


def fake_status(*, lb2_reachable: bool = True) -> EnvironmentStatus:
    """Return a status: lb1 MASTER with app1 UP; lb2 BACKUP, or unreachable."""
    hosts = [
        HostStatus(
            "lb1",
            reachable=True,
            haproxy_up=True,
            keepalived_up=True,
            vrrp=[VrrpState("edge", "MASTER", 0, 150)],
            servers=[ServerState("app", "app1", "UP", 100, False, "L7OK", 0)],
        ),
        HostStatus(
            "lb2",
            reachable=True,
            haproxy_up=True,
            keepalived_up=True,
            vrrp=[VrrpState("edge", "BACKUP", 0, 100)],
        )
        if lb2_reachable
        else HostStatus("lb2", reachable=False, error="ssh: no route to host"),
    ]
    return EnvironmentStatus(hosts, findings(hosts))


def use_fake_status(app: Flask, **kwargs: Any) -> None:
    """Make the dashboard's status fragment answer from `fake_status` instead of Ansible."""
    app.extensions["lbctl.status_cache"] = StatusCache(lambda _inventory: fake_status(**kwargs))


def newest(app: Flask) -> store.Revision:
    with app.extensions["lbctl.sessions"]() as session:
        revision = store.current_revision(session, "example")
        assert revision is not None
        session.expunge(revision)
        return revision


def document(app: Flask) -> dict[str, Any]:
    from controlplane.usecases import revisions

    with app.extensions["lbctl.sessions"]() as session:
        # A copy: the cached document is shared by every reader of the revision.
        shared = revisions.revision_document(store.current_revision(session, "example"), False)
        return copy.deepcopy(shared)


def post_form(client: FlaskClient, path: str, data: dict[str, str], page: str | None = None):
    """POST `data` with the CSRF token and the base revision of the page (default: `path`)."""
    html = client.get(page or path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    base = re.search(r'name="base_revision" value="(\d*)"', html)
    fields = {"csrf_token": token.group(1) if token else csrf_token(client, "/")}
    if base:
        fields["base_revision"] = base.group(1)
    return client.post(path, data=fields | data)


def record_deployed(app: Flask, number: int) -> None:
    """Record revision `number` as successfully deployed (no host is touched)."""
    with app.extensions["lbctl.sessions"].begin() as session:
        revision = store.get_revision(session, "example", number)
        deployment = store.create_deployment(session, revision, "seed")
        store.start_deployment(session, deployment.id)
        results = [{"host": h, "status": "changed", "seconds": 1.0} for h in ("lb1", "lb2")]
        store.finish_deployment(session, deployment.id, "succeeded", results)
