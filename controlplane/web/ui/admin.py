"""Users and API tokens (admins only): create, change role, disable, issue and revoke tokens."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import store
from ..auth import actor, role_required
from ..db import get_db
from . import bp


@bp.route("/admin")
@role_required("admin")
def admin(new_token: str | None = None, status: int = 200) -> Any:
    db = get_db()
    page = render_template(
        "admin.html",
        users=store.list_users(db),
        tokens=store.list_tokens(db),
        roles=[r.value for r in store.Role],
        new_token=new_token,
    )
    return page, status


@bp.route("/admin/users", methods=["POST"])
@role_required("admin")
def create_user() -> Any:
    name, role = request.form.get("name", "").strip(), request.form.get("role", "viewer")
    return _change(
        lambda db: store.create_user(db, name, request.form.get("password", ""), role),
        "user.create",
        name,
        {"role": role},
        f"User {name} created ({role}).",
    )


@bp.route("/admin/users/<name>/role", methods=["POST"])
@role_required("admin")
def set_role(name: str) -> Any:
    role = request.form.get("role", "")
    if name == current_user.name:
        return _refuse("You cannot change your own role; ask another admin.")
    return _change(
        lambda db: store.set_role(db, name, role),
        "user.role",
        name,
        {"role": role},
        f"{name} is now {role}.",
    )


@bp.route("/admin/users/<name>/<any(disable, enable):action>", methods=["POST"])
@role_required("admin")
def toggle_user(name: str, action: str) -> Any:
    if name == current_user.name:
        return _refuse("You cannot disable yourself.")
    change = store.disable_user if action == "disable" else store.enable_user
    return _change(lambda db: change(db, name), f"user.{action}", name, {}, f"{name}: {action}d.")


@bp.route("/admin/tokens", methods=["POST"])
@role_required("admin")
def create_token() -> Any:
    db = get_db()
    owner, name = request.form.get("user", ""), request.form.get("name", "").strip()
    role = request.form.get("role", "viewer")
    try:
        token, plaintext = store.create_token(db, store.get_user(db, owner), name, role)
    except (store.StoreError, ValueError) as error:
        db.rollback()
        return _refuse(f"Token not created: {error}.")
    _audit("token.create", f"{owner}/{name}", {"role": role, "id": token.id})
    db.commit()
    flash(f"Token {name} for {owner} created. Copy it now: it is not shown again.", "success")
    page, status = admin(new_token=plaintext)
    # The plaintext is on this page: nothing on the way, nor the browser, may keep it.
    return page, status, {"Cache-Control": "no-store", "Pragma": "no-cache"}


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke_token(token_id: int) -> Any:
    revoke = lambda db: store.revoke_token(db, token_id)  # noqa: E731
    return _change(revoke, "token.revoke", str(token_id), {}, f"Token {token_id} revoked.")


def _change(action: Any, audit: str, target: str, detail: dict[str, Any], done: str) -> Any:
    db = get_db()
    try:
        action(db)
    except (store.StoreError, ValueError) as error:
        db.rollback()
        return _refuse(f"Not done: {error}.")
    _audit(audit, target, detail)
    db.commit()
    flash(done, "success")
    return redirect(url_for("ui.admin"))


def _refuse(message: str) -> Any:
    flash(message, "error")
    return admin(status=400)


def _audit(action: str, target: str, detail: dict[str, Any]) -> None:
    who = actor()
    store.record_audit(get_db(), who, action, target, detail)
