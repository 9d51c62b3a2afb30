"""Migrations build the schema from an empty database, and it matches the tables exactly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from controlplane.store import make_engine, upgrade
from controlplane.store.db import alembic_config
from controlplane.store.tables import Base

TABLES = {"revisions", "deployments", "deployment_events", "audit_log", "users", "api_tokens"}
TABLES |= {"web_sessions", "login_failures"}  # 0002: revocable logins, login lockouts
TABLES |= {"store_keys"}  # 0003: the key of the revision hashes viewers see
TABLES |= {"stored_files", "revision_files"}  # 0004: files a config uses, revisions' pins
TABLES |= {"acme_accounts", "acme_renewals"}  # 0005: ACME accounts and renewals


def test_upgrade_from_an_empty_database_creates_every_table(backend):
    engine = make_engine(backend.empty_url())
    try:
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        upgrade(engine)  # already at head: nothing to do, no error
    finally:
        engine.dispose()


def test_the_migrations_and_the_tables_do_not_differ(backend):
    engine = make_engine(backend.empty_url())
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_from_0004_drops_the_file_tables_and_upgrade_restores_them(backend):
    engine = make_engine(backend.empty_url())
    try:
        upgrade(engine)
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        assert set(inspect(engine).get_table_names()) == (
            TABLES - {"stored_files", "revision_files", "acme_accounts", "acme_renewals"}
        ) | {"alembic_version"}
        upgrade(engine)
        assert {"stored_files", "revision_files"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
