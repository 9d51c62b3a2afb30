"""The web app's settings, read from the environment (LBCTL_*) with safe defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class WebSettings:
    home: Path  # instance folder: the SQLite store and the generated secret key
    database_url: str
    environment: str  # the environment this control plane manages
    inventory: Path  # its Ansible inventory
    secure_cookies: bool
    admin_password: str | None  # creates user "admin" on a first start with no users

    @classmethod
    def from_environ(cls, **overrides: object) -> WebSettings:
        """Return the settings from LBCTL_* variables; keyword overrides win (tests)."""
        from ..store import database_url

        home = Path(str(overrides.pop("home", None) or os.environ.get("LBCTL_HOME", "instance")))
        values: dict[str, object] = {
            "home": home.resolve(),
            "database_url": os.environ.get("LBCTL_DATABASE_URL") or database_url(home),
            "environment": os.environ.get("LBCTL_ENVIRONMENT", "example"),
            "inventory": Path(
                os.environ.get("LBCTL_INVENTORY", REPO_ROOT / "inventory/example/hosts.yml")
            ),
            "secure_cookies": os.environ.get("LBCTL_SECURE_COOKIES", "1") != "0",
            "admin_password": os.environ.get("LBCTL_ADMIN_PASSWORD") or None,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def secret_key(home: Path) -> str:
    """Return LBCTL_SECRET_KEY, or a key generated once and kept in the instance folder.

    Replicas behind one address must share LBCTL_SECRET_KEY, or sessions break between them.
    """
    if os.environ.get("LBCTL_SECRET_KEY"):
        return os.environ["LBCTL_SECRET_KEY"]
    path = home / "secret_key"
    home.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
