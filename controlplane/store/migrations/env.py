"""Alembic environment: runs the store's migrations on the connection lbctl hands over.

At run time `controlplane.store.db.upgrade()` passes its connection in
`config.attributes["connection"]`, so no alembic.ini is needed. To write a new migration,
point Alembic at a database migrated to head and let it compare with the tables:

    from alembic import command
    from controlplane.store.db import alembic_config
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", "sqlite:////tmp/lbctl-dev.sqlite3")
    command.upgrade(config, "head")
    command.revision(config, message="what changed", autogenerate=True)
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from controlplane.store.db import make_engine
from controlplane.store.tables import Base, UtcDateTime

config = context.config


def _render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    # Migrations must not import the app's types: they have to keep working when those change.
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only change a table by copying it
        render_item=_render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as connection:
            _configure(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
