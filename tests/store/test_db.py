"""Where the store lives: SQLite in the instance folder unless LBCTL_DATABASE_URL says otherwise."""

from __future__ import annotations

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
