"""One store session per request, closed (and rolled back if uncommitted) at its end."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

# The largest integer a store query may carry: SQLite refuses a larger one (OverflowError),
# so ids, numbers and offsets from a request are held to it before they reach the store.
MAX_STORED_INT = 2**63 - 1


def sessions() -> sessionmaker[Session]:
    """Return the app's session factory (background deploys open their own sessions)."""
    return current_app.extensions["lbctl.sessions"]


def get_db() -> Session:
    """Return this request's store session."""
    if "db" not in g:
        g.db = sessions()()
    return g.db


def init_app(app: Flask, factory: sessionmaker[Session]) -> None:
    app.extensions["lbctl.sessions"] = factory

    @app.teardown_appcontext
    def close_db(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()
