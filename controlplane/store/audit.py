"""The audit log: one entry per mutating action, saying who did what, when, from where."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .tables import AuditEntry

REDACTED = "********"
# Keys whose values never enter the log, whatever the caller passes in `detail`.
_SECRET_KEY = re.compile(
    r"(^|_)(password|passwd|pass|secret|token|key|authentication)$", re.IGNORECASE
)


@dataclass(frozen=True)
class Actor:
    """Who asks for a change, and from where: what the audit log records of them."""

    name: str
    role: str
    remote_addr: str | None = None
    via: str = "web"  # web, api, cli or system


SYSTEM = Actor("system", "admin", None, "system")


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Return the new audit entry; values of secret-looking keys in `detail` are redacted.

    The entry says how the actor came (`via`) and from which address. Record it in the
    same transaction as the change, so the log cannot miss a change that happened or show
    one that did not.
    """
    entry = AuditEntry(
        actor=actor.name,
        action=action,
        target=target,
        detail=_redacted((detail or {}) | {"via": actor.via}),
        remote_addr=actor.remote_addr,
    )
    session.add(entry)
    session.flush()
    return entry


def list_audit_entries(session: Session, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
    """Return a page of audit entries, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEY.search(str(key)) else _redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value
