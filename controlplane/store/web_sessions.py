"""Logins to the admin app, kept server-side so logging out ends them everywhere.

The session cookie is signed, so nobody can forge one, but a copy of it would stay valid
until the secret key changes. Each login therefore gets a random id; the cookie carries
it and the store keeps its sha256. Logging out, changing the password or disabling the
user deletes the row, and the copied cookie then names nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .tables import User, WebSession, utc_now

# A login lasts at most this long, however active: a stolen cookie does not live forever,
# and rows of browsers closed without logging out are pruned after it.
SESSION_LIFETIME = timedelta(hours=12)


def start_web_session(session: Session, user: User) -> str:
    """Return the id of a new login of `user`, to keep in its cookie; only its hash is stored."""
    now = utc_now()
    session.execute(delete(WebSession).where(WebSession.created_at < now - SESSION_LIFETIME))
    plaintext = secrets.token_urlsafe(32)
    session.add(WebSession(user_id=user.id, id_hash=_digest(plaintext), created_at=now))
    session.flush()
    return plaintext


def web_session_user(session: Session, session_id: str) -> User | None:
    """Return the user of a live login, or None (unknown, ended or older than its lifetime)."""
    if not session_id:
        return None
    found = session.scalars(
        select(WebSession).where(
            WebSession.id_hash == _digest(session_id),
            WebSession.created_at >= utc_now() - SESSION_LIFETIME,
        )
    ).first()
    return found.user if found is not None else None


def end_web_session(session: Session, session_id: str) -> None:
    """End one login (logging out); an unknown id is no error."""
    if session_id:
        session.execute(delete(WebSession).where(WebSession.id_hash == _digest(session_id)))


def end_user_sessions(session: Session, user: User) -> None:
    """End every login of a user (password changed, user disabled)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
