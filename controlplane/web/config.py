"""The web app's settings, read from the environment (LBCTL_*) with safe defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..paths import example_inventory_file


@dataclass(frozen=True)
class WebSettings:
    home: Path  # instance folder: the SQLite store and the generated secret key
    database_url: str
    environment: str  # the environment this control plane manages
    inventory: Path  # its Ansible inventory
    secure_cookies: bool
    admin_password: str | None  # creates user "admin" on a first start with no users
    # Monitoring (README "Monitoring and alerts"); the poller runs only in `lbctl serve`.
    status_interval_s: float = 15.0  # 0: no background status poller, so no snapshot alerts
    alert_webhooks: tuple[str, ...] = ()
    metrics_token: str | None = None  # when set, GET /metrics needs it as a bearer token
    # certificate_expiring fires below this many days left (LBCTL_CERT_ALERT_DAYS).
    certificate_alert_days: int = 14
    # How often `lbctl serve` renews the due ACME certificates (LBCTL_ACME_INTERVAL; 0: never).
    acme_interval_s: float = 3600.0

    @classmethod
    def from_environ(cls, **overrides: object) -> WebSettings:
        """Return the settings from LBCTL_* variables; keyword overrides win (tests)."""
        from ..store import database_url

        home = Path(str(overrides.pop("home", None) or os.environ.get("LBCTL_HOME", "instance")))
        values: dict[str, object] = {
            "home": home.resolve(),
            "database_url": os.environ.get("LBCTL_DATABASE_URL") or database_url(home),
            "environment": os.environ.get("LBCTL_ENVIRONMENT", "example"),
            "inventory": _inventory(),
            "secure_cookies": os.environ.get("LBCTL_SECURE_COOKIES", "1") != "0",
            "admin_password": os.environ.get("LBCTL_ADMIN_PASSWORD") or None,
            "status_interval_s": _seconds("LBCTL_STATUS_INTERVAL", 15.0),
            "alert_webhooks": tuple(
                url.strip()
                for url in os.environ.get("LBCTL_ALERT_WEBHOOKS", "").split(",")
                if url.strip()
            ),
            "metrics_token": os.environ.get("LBCTL_METRICS_TOKEN") or None,
            "certificate_alert_days": _days("LBCTL_CERT_ALERT_DAYS", 14),
            "acme_interval_s": _seconds("LBCTL_ACME_INTERVAL", 3600.0),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _inventory() -> Path:
    """Return $LBCTL_INVENTORY, or the example environment's inventory lbctl ships."""
    configured = os.environ.get("LBCTL_INVENTORY")
    return Path(configured) if configured else example_inventory_file()


def _seconds(name: str, default: float) -> float:
    """Return a non-negative number of seconds from the environment; raises ValueError."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 86400:  # also refuses nan and inf
        raise ValueError(f"{name} must be 0-86399 seconds (0 disables), got {raw!r}")
    return value


def _days(name: str, default: int) -> int:
    """Return a whole number of days 0-365 from the environment; raises ValueError."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and int(raw) <= 365):
        raise ValueError(f"{name} must be a whole number of days 0-365, got {raw!r}")
    return int(raw)


def secret_key(home: Path) -> str:
    """Return LBCTL_SECRET_KEY, or a key generated once and kept in the instance folder.

    Replicas behind one address must share LBCTL_SECRET_KEY, or sessions break between them.
    """
    if os.environ.get("LBCTL_SECRET_KEY"):
        return os.environ["LBCTL_SECRET_KEY"]
    path = home / "secret_key"
    home.mkdir(mode=0o700, parents=True, exist_ok=True)  # the key, and the SQLite store
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
