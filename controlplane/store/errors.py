"""Structured errors of the store; the web layer maps them to HTTP statuses and messages."""

from __future__ import annotations

from dataclasses import dataclass


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


@dataclass
class StaleRevision(StoreError):
    """A write was based on a revision that is no longer the environment's newest."""

    environment: str
    base: int | None
    current: int | None

    def __str__(self) -> str:
        base = "no revision" if self.base is None else f"revision {self.base}"
        current = "no revision" if self.current is None else f"revision {self.current}"
        return (
            f"{self.environment}: the change was based on {base}, but the newest is {current}; "
            "reload, reapply the change and save again"
        )


@dataclass
class NotFound(StoreError):
    """No row of this kind has this key (a revision number, deployment id, user name...)."""

    kind: str
    key: str

    def __str__(self) -> str:
        return f"no {self.kind} {self.key!r}"


@dataclass
class InvalidName(StoreError):
    """A name (environment, user, token) is not 1-63 letters, digits, '_', '.', '-'."""

    kind: str
    value: str

    def __str__(self) -> str:
        return (
            f"{self.kind} name must be 1-63 ASCII letters, digits, '_', '.', '-' starting with "
            f"a letter or digit, got {self.value!r}"
        )


@dataclass
class InvalidTransition(StoreError):
    """A deployment cannot move from its current state to the one asked for."""

    deployment_id: int
    state: str
    wanted: str

    def __str__(self) -> str:
        return f"deployment {self.deployment_id} is {self.state}; it cannot become {self.wanted}"


@dataclass
class UserExists(StoreError):
    name: str

    def __str__(self) -> str:
        return f"a user named {self.name!r} already exists"


@dataclass
class PasswordTooShort(StoreError):
    minimum: int

    def __str__(self) -> str:
        return f"the password must have at least {self.minimum} characters"


@dataclass
class RoleTooHigh(StoreError):
    """A token was asked for a role above its user's own role."""

    role: str
    allowed: str

    def __str__(self) -> str:
        return f"a token cannot have role {self.role!r}: its user's role is {self.allowed!r}"


@dataclass
class UserDisabled(StoreError):
    name: str

    def __str__(self) -> str:
        return f"user {self.name!r} is disabled"


@dataclass
class StoreLocked(StoreError):
    """Another control-plane replica is deploying this environment (PostgreSQL store)."""

    environment: str
    waited_s: float

    def __str__(self) -> str:
        return (
            f"environment {self.environment!r} is being deployed by another control-plane "
            f"replica; waited {self.waited_s:.0f}s"
        )
