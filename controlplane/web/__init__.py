"""The Flask admin app: pages for operators, /api/v1 for CI, both over the same core."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import IntegerConverter, Map

from .. import store
from . import auth, db
from .config import WebSettings, secret_key
from .db import MAX_STORED_INT

csrf = CSRFProtect()


class StoredIntConverter(IntegerConverter):
    """`<int:...>` in a URL: a revision number or an id the store can look up.

    A larger one names nothing, so the route does not match (404) instead of reaching
    the store, which refuses it (a 500).
    """

    def __init__(self, map: Map) -> None:
        super().__init__(map, max=MAX_STORED_INT)


def create_app(
    settings: WebSettings | None = None, *, background: bool = False, **overrides: Any
) -> Flask:
    """Return the admin app: store migrated, interrupted deploys marked, first admin made.

    `background` starts the status poller (alerts) when LBCTL_STATUS_INTERVAL is not 0;
    `lbctl serve` asks for it, tests and one-off uses do not.
    """
    settings = settings or WebSettings.from_environ(**overrides)
    app = Flask(__name__, instance_path=str(settings.home))
    app.url_map.converters["int"] = StoredIntConverter  # before any route is added
    app.config.update(
        LBCTL=settings,
        SECRET_KEY=secret_key(settings.home),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,  # the model loader's own limit
    )
    engine = store.make_engine(settings.database_url)
    store.upgrade(engine)
    factory = store.session_factory(engine)
    _on_start(factory, settings)

    db.init_app(app, factory)
    csrf.init_app(app)
    auth.init_app(app)
    from . import api, monitoring, ui

    monitoring.init_app(app, settings, factory, background)

    csrf.exempt(api.bp)  # bearer tokens, no cookies: nothing for a cross-site form to ride
    app.register_blueprint(ui.bp)
    app.register_blueprint(api.bp)
    _error_pages(app)
    _security_headers(app)
    return app


def _on_start(factory: Any, settings: WebSettings) -> None:
    from ..usecases.deployments import recover_interrupted

    recover_interrupted(factory)
    with factory.begin() as session:
        if settings.admin_password and not store.list_users(session):
            store.create_user(session, "admin", settings.admin_password, store.Role.admin)
            store.record_audit(session, store.SYSTEM, "user.create", "admin", {"role": "admin"})


def _error_pages(app: Flask) -> None:
    def page(status: int, title: str, text: str) -> Any:
        if request.path.startswith("/api/"):
            return auth.api_error(status, title)
        return render_template("error.html", status=status, title=title, text=text), status

    def not_allowed(e: MethodNotAllowed) -> Any:
        body, status = page(405, "Method not allowed", "This address does not take that method.")
        return body, status, {"Allow": ", ".join(e.valid_methods or ())}  # as RFC 9110 asks

    app.register_error_handler(403, lambda e: page(403, "Forbidden", "Your role cannot do this."))
    app.register_error_handler(404, lambda e: page(404, "Not found", "There is no such page."))
    app.register_error_handler(405, not_allowed)
    app.register_error_handler(
        413, lambda e: page(413, "Too large", "The request is larger than 16 MiB.")
    )


def _security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            # Pages and answers hold the model, users, audit entries, a new token once:
            # no browser history or proxy on the way may keep a copy.
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
        )
        return response
