"""Who is asking: session login for pages, bearer tokens for the API, roles for both."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

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

from .. import store
from ..control import Actor
from ..store import Role, role_allows
from .db import get_db

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"


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
    user = get_db().get(store.User, int(user_id)) if user_id.isdigit() else None
    if user is None or user.disabled:
        return None  # a disabled user's session ends at the next request
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
    if request.method == "POST":
        db = get_db()
        user = store.verify_login(
            db, request.form.get("name", ""), request.form.get("password", "")
        )
        if user is None:
            store.record_audit(
                db,
                request.form.get("name", "")[:64] or "?",
                "login.failed",
                "web",
                {},
                request.remote_addr,
            )
            db.commit()
            flash("Wrong name or password.", "error")
            return render_template("login.html"), 401
        login_user(SessionUser(user.id, user.name, user.role))
        store.record_audit(db, user.name, "login", "web", {}, request.remote_addr)
        db.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("ui.dashboard")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)
