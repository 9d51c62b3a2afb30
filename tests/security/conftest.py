"""Security regression tests reuse the admin app's fixtures and the store's two backends."""

from __future__ import annotations

from ..store.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    backend,
    engine,
    postgres,
    sessions,
    sqlite_template,
)
from ..web.conftest import (  # noqa: F401
    app,
    as_role,
    client,
    refusing_inventory,
    seeded_home,
    tokens,
)
