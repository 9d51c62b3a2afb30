"""Where the store lives and how to connect to it: URL, engine, sessions, migrations."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

DATABASE_URL_ENV = "LBCTL_DATABASE_URL"
SQLITE_FILE = "lbctl.sqlite3"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# How long a SQLite writer waits for another one before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 15_000


def database_url(instance_dir: Path | str) -> str:
    """Return $LBCTL_DATABASE_URL, or the embedded SQLite file in the instance folder."""
    configured = os.environ.get(DATABASE_URL_ENV, "").strip()
    if configured:
        return configured
    return f"sqlite:///{Path(instance_dir).resolve() / SQLITE_FILE}"


def make_engine(url: str | URL, **options: Any) -> Engine:
    """Return an engine for the URL, with SQLite set up for a multi-threaded web app."""
    parsed = _with_driver(make_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **options)
    if parsed.database and parsed.database != ":memory:":
        private_sqlite_file(Path(parsed.database))
    engine = create_engine(
        parsed,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **options,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 (its folder 0700 when made here) before SQLite opens it.

    The store holds password and token hashes, the audit log and VRRP passwords: only the
    control plane's user may read it. SQLite gives the -wal and -shm files it creates the
    database file's mode. Existing files are tightened too; an existing folder is left
    alone, as it may be shared (/var/lib, a mount).
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Only a file that does not exist yet is opened here: closing any descriptor of a file
    # drops every POSIX lock this process holds on it, SQLite's included, so opening an
    # existing store that another engine of this process uses would let a second process
    # delete its WAL from under it ("disk I/O error").
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        with contextlib.suppress(OSError):  # absent, or not ours: SQLite reports what matters
            found = path.with_name(name)
            if found.stat().st_mode & 0o077:
                found.chmod(0o600)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session maker whose objects stay readable after commit (for templates)."""
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Migrate the database to `revision` (default: the newest schema) with Alembic."""
    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def alembic_config() -> Config:
    """Return an Alembic configuration pointing at the packaged migrations (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _with_driver(url: URL) -> URL:
    # A plain postgresql:// URL would pick psycopg2, which lbctl does not install.
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL lets the web app read while a deploy thread writes events.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
