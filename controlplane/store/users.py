"""Users of the web app: name, salted scrypt password hash, role, disabled flag."""

from __future__ import annotations

import functools
import re
import secrets
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..model.types import NAME_PATTERN
from .errors import InvalidName, NotFound, PasswordTooShort, UserExists
from .tables import User
from .web_sessions import end_user_sessions

MIN_PASSWORD_LENGTH = 12


class Role(StrEnum):
    """What a user (or token) may do; each role may do everything the ones before it may."""

    viewer = "viewer"
    operator = "operator"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


def role_allows(role: Role | str, needed: Role | str) -> bool:
    """Return whether `role` may do what needs `needed` (admin > operator > viewer)."""
    return Role(role).rank >= Role(needed).rank


def create_user(session: Session, name: str, password: str, role: Role | str = Role.viewer) -> User:
    """Return the new user; raises InvalidName, UserExists or PasswordTooShort."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise InvalidName("user", name)
    if _find(session, name) is not None:
        raise UserExists(name)
    user = User(name=name, password_hash=_hash(password), role=Role(role).value, disabled=False)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> User:
    """Return the user with this name; raises NotFound."""
    user = _find(session, name)
    if user is None:
        raise NotFound("user", name)
    return user


def verify_login(session: Session, name: str, password: str) -> User | None:
    """Return the user when the name and password match an enabled user, else None.

    An unknown name costs the same scrypt check as a known one, so response times do
    not tell which user names exist.
    """
    user = _find(session, name)
    stored = user.password_hash if user is not None else _unknown_user_hash()
    matches = check_password_hash(stored, password)
    if user is None or user.disabled or not matches:
        return None
    return user


def set_password(session: Session, name: str, password: str) -> User:
    """Return the user with a new password (their logins end); raises NotFound, PasswordTooShort."""
    user = get_user(session, name)
    user.password_hash = _hash(password)
    end_user_sessions(session, user)  # whoever knew the old password is logged out too
    session.flush()
    return user


def set_role(session: Session, name: str, role: Role | str) -> User:
    """Return the user with a new role; their tokens never act above it."""
    user = get_user(session, name)
    user.role = Role(role).value
    session.flush()
    return user


def disable_user(session: Session, name: str) -> User:
    """Return the user, now unable to log in or use their tokens; their logins end."""
    user = _set_disabled(session, name, True)
    end_user_sessions(session, user)  # enabling them again must not revive old cookies
    return user


def enable_user(session: Session, name: str) -> User:
    """Return the user, able to log in again."""
    return _set_disabled(session, name, False)


def list_users(session: Session) -> list[User]:
    """Return every user, sorted by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def _set_disabled(session: Session, name: str, disabled: bool) -> User:
    user = get_user(session, name)
    user.disabled = disabled
    session.flush()
    return user


def _find(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(MIN_PASSWORD_LENGTH)
    return generate_password_hash(password)  # scrypt with a random salt


@functools.cache
def _unknown_user_hash() -> str:
    # A real hash of a password nobody knows: checking against it costs what a real check does.
    return generate_password_hash(secrets.token_urlsafe(32))
