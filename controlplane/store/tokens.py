"""API tokens: shown once at creation, stored as sha256, revocable, never above their user.

A token reads `lbctl_<prefix>_<secret>`. The prefix is public and finds the row; the
whole token is 32 random bytes and more, so a fast hash is enough (nothing to brute force).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model.types import NAME_PATTERN
from .errors import InvalidName, NotFound, RoleTooHigh, UserDisabled
from .tables import ApiToken, User, utc_now
from .users import Role, role_allows

TOKEN_SCHEME = "lbctl"
SECRET_BYTES = 32
# last_used_at is only rewritten when older than this: a busy API client must not turn
# every request into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_TOKEN = re.compile(rf"^{TOKEN_SCHEME}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43,}})$")


def create_token(session: Session, user: User, name: str, role: Role | str) -> tuple[ApiToken, str]:
    """Return the new token's row and its plaintext, which is not stored and not shown again.

    Raises RoleTooHigh when `role` is above the user's, UserDisabled for a disabled user.
    """
    if not re.fullmatch(NAME_PATTERN, name):
        raise InvalidName("token", name)
    if user.disabled:
        raise UserDisabled(user.name)
    if not role_allows(user.role, role):
        raise RoleTooHigh(Role(role).value, user.role)
    prefix = secrets.token_hex(6)
    plaintext = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    token = ApiToken(
        user=user, name=name, prefix=prefix, token_hash=_digest(plaintext), role=Role(role).value
    )
    session.add(token)
    session.flush()
    return token, plaintext


def authenticate_token(session: Session, plaintext: str) -> tuple[User, Role] | None:
    """Return the token's user and the role it acts with, or None if it is not usable.

    The role is the lower of the token's and the user's current one, so demoting a user
    demotes their tokens. Revoked tokens and disabled users' tokens are refused.
    """
    match = _TOKEN.match(plaintext)
    if match is None:
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.prefix == match.group(1))).first()
    if token is None or not hmac.compare_digest(token.token_hash, _digest(plaintext)):
        return None
    if token.revoked_at is not None or token.user.disabled:
        return None
    now = utc_now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    role = min(Role(token.role), Role(token.user.role), key=lambda r: r.rank)
    return token.user, role


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Return the token, now revoked for good (revoking twice keeps the first time)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("token", str(token_id))
    if token.revoked_at is None:
        token.revoked_at = utc_now()
        session.flush()
    return token


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """Return the tokens of one user (or everyone's), newest first, revoked ones included."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()
