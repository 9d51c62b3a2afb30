"""Who is asking: session login for pages, bearer tokens for the API, roles for both.

Logins are throttled (store.login_failures, answered by lockout.py) and kept server-side
(store.web_sessions), so logging out ends a login for every copy of its cookie.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import flask
from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy.orm import Session

from .. import store
from ..store import Actor, Role, role_allows
from . import lockout
from .db import get_db

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"
# The session key holding the login's server-side id (store.web_sessions): logging out
# deletes its row, so a copy of the cookie taken before stops working.
LOGIN_ID_KEY = "lbctl_login"


@dataclass
class SessionUser:
    """The logged-in user as flask-login sees it."""

    id: int
    name: str
    role: str
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    user = store.web_session_user(get_db(), str(flask.session.get(LOGIN_ID_KEY, "")))
    if user is None or str(user.id) != user_id or user.disabled:
        return None  # logged out, expired, or disabled: the session ends at this request
    return SessionUser(user.id, user.name, user.role)


def actor() -> Actor:
    """Return who makes this request (page session or API token) for the audit log."""
    if "api_user" in g:
        return Actor(g.api_user.name, g.api_role, request.remote_addr, "api")
    return Actor(current_user.name, current_user.role, request.remote_addr, "web")


def role_required(role: Role | str) -> Callable[[F], F]:
    """Pages: redirect to the login when anonymous, 403 when the role is too low."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not role_allows(current_user.role, role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def token_required(role: Role | str) -> Callable[[F], F]:
    """API: `Authorization: Bearer <token>`; 401 without a valid one, 403 when too low."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            found = (
                store.authenticate_token(get_db(), token.strip())
                if scheme.lower() == "bearer" and token.strip()
                else None
            )
            if found is None:
                get_db().rollback()
                return api_error(401, "a valid API token is required (Authorization: Bearer)")
            g.api_user, g.api_role = found[0], str(found[1])
            get_db().commit()  # keeps the token's last-used time
            if not role_allows(g.api_role, role):
                return api_error(403, f"this token's role {g.api_role} cannot do this ({role})")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def api_error(status: int, message: str, details: list[dict[str, str]] | None = None) -> Any:
    """Return the API's JSON error: {error, details[{path, message}]}."""
    return jsonify({"error": message, "details": details or []}), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method != "POST":
        return render_template("login.html")
    db = get_db()
    name, address = request.form.get("name", ""), request.remote_addr or ""
    # Before the password: a locked attempt must cost no scrypt hash, and even the right
    # password does not end a lockout early.
    locked = store.login_lockout(db, name, address)
    if locked is not None:
        return lockout.refusal(locked)
    user = store.verify_login(db, name, request.form.get("password", ""))
    if user is None:
        return _failed(db, name, address)
    _start_session(db, user)
    store.record_audit(db, Actor(user.name, user.role, address), "login", "web")
    db.commit()
    return redirect(_safe_next(request.args.get("next")))


def _failed(db: Session, name: str, address: str) -> Any:
    store.record_audit(db, Actor(name[:64] or "?", "", address), "login.failed", "web")
    started = store.record_login_failure(db, name, address)
    lockout.record(db, started, address)
    db.commit()
    lockout.alert(started)
    if started:
        return lockout.refusal(max(started, key=lambda found: found.until))
    flash("Wrong name or password.", "error")
    return render_template("login.html"), 401


def _start_session(db: Session, user: store.User) -> None:
    """Log the user in on a new session: nothing from before the login carries over.

    Dropping the old contents rotates the CSRF token (flask-wtf makes a new one when
    `csrf_token` is missing) and defeats session fixation: values planted in the
    anonymous session, or a token learned from it, are worthless once logged in.
    """
    flask.session.clear()
    g.pop("csrf_token", None)  # flask-wtf keeps this request's token here too
    login_user(SessionUser(user.id, user.name, user.role))
    flask.session[LOGIN_ID_KEY] = store.start_web_session(db, user)
    store.forget_login_failures(db, user.name)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    db = get_db()
    store.end_web_session(db, str(flask.session.get(LOGIN_ID_KEY, "")))
    db.commit()
    logout_user()
    flask.session.clear()
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """Return `target` when it is a path on this site, else the dashboard's address.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    "/<TAB>/evil.example" or "/\\evil.example" would leave the site: a target holding any
    of those is refused, and the rest must parse as a path with no scheme and no host.
    """
    fallback = url_for("ui.dashboard")
    if not target or any(ord(c) < 0x20 or c in "\x7f\\" for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return fallback
    return target


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)
