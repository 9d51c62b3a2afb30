"""What haproxy.cfg prints for user lists, the stats page, logging and proxy options.

Decisions are made here in plain Python; `haproxy.py` puts the results in its contexts
and the template only prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import LbModel


@dataclass(frozen=True)
class UserlistContext:
    name: str
    users: list[str]  # "NAME password HASH", one `user` line each


def userlists(model: LbModel) -> list[UserlistContext]:
    """Return every user list; each host prints them all (they are small and shared)."""
    return [
        UserlistContext(u.name, [f"{user.name} password {user.password}" for user in u.users])
        for u in model.userlists
    ]
