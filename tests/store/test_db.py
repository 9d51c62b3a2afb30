"""Where the store lives: SQLite in the instance folder unless LBCTL_DATABASE_URL says otherwise."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from controlplane.store import database_url, make_engine, upgrade


def test_the_default_store_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("LBCTL_DATABASE_URL", raising=False)
    assert database_url(tmp_path) == f"sqlite:///{tmp_path}/lbctl.sqlite3"


def test_the_environment_variable_selects_another_database(tmp_path, monkeypatch):
    monkeypatch.setenv("LBCTL_DATABASE_URL", "postgresql://lbctl@db.example/lbctl")
    assert database_url(tmp_path) == "postgresql://lbctl@db.example/lbctl"


def test_plain_postgresql_urls_use_the_installed_psycopg_driver():
    engine = make_engine("postgresql://lbctl@db.example/lbctl")
    assert engine.url.drivername == "postgresql+psycopg"


def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/instance/lbctl.sqlite3")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000
    finally:
        engine.dispose()
    assert (tmp_path / "instance" / "lbctl.sqlite3").exists()


def test_making_a_second_engine_keeps_the_first_ones_locks(tmp_path):
    # Closing any descriptor of a file drops every POSIX lock the process holds on it, so
    # a second make_engine must not open a store this process already has open.
    path = tmp_path / "store.db"
    first = make_engine(f"sqlite:///{path}")
    with first.connect() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.commit()
        connection.exec_driver_sql("BEGIN")
        connection.execute(text("SELECT * FROM t")).all()  # holds a shared lock
        make_engine(f"sqlite:///{path}").dispose()
        other = subprocess.run(
            [sys.executable, "-c", _TAKE_EXCLUSIVE_LOCK, str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        connection.rollback()
    first.dispose()
    assert other.stdout.strip() == "locked", other.stderr


_TAKE_EXCLUSIVE_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=0.2, isolation_level=None)
try:
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("BEGIN EXCLUSIVE")
    print("acquired")
except sqlite3.OperationalError:
    print("locked")
"""
