"""Use-case tests run on the store's two backends, like the store's own tests."""

from __future__ import annotations

from ..store.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    backend,
    engine,
    postgres,
    session,
    sessions,
    sqlite_template,
)
