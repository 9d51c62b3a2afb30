"""The declarative model: file format, validation rules, loading and export.

The names below are loaded when first used (PEP 562): building the pydantic classes is most
of the cost of importing the model, and `model.document` (the YAML parse) must be
importable without it, so `lbctl validate` can parse in a second process while the first
imports the classes (cli/parse_ahead.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .export import dump_document_yaml, dump_model_yaml, model_document
    from .loader import LoadedModel, load_model, load_model_file, parse_document, validate_data
    from .rules import (
        frontend_vip,
        pool_mode,
        pool_users,
        vip_address,
        vrrp_router_ids,
        vrrp_version,
    )
    from .schema import (
        Frontend,
        HealthCheck,
        LbHost,
        LbModel,
        Pool,
        Route,
        Server,
        Settings,
        VipPair,
    )
    from .types import duration_ms

# Public name -> the submodule that defines it.
_HOMES = {
    "dump_document_yaml": "export",
    "dump_model_yaml": "export",
    "model_document": "export",
    "LoadedModel": "loader",
    "load_model": "loader",
    "load_model_file": "loader",
    "parse_document": "loader",
    "validate_data": "loader",
    "frontend_vip": "rules",
    "pool_mode": "rules",
    "pool_users": "rules",
    "vip_address": "rules",
    "vrrp_router_ids": "rules",
    "vrrp_version": "rules",
    "Frontend": "schema",
    "HealthCheck": "schema",
    "LbHost": "schema",
    "LbModel": "schema",
    "Pool": "schema",
    "Route": "schema",
    "Server": "schema",
    "Settings": "schema",
    "VipPair": "schema",
    "duration_ms": "types",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # found once; later lookups do not come here
    return value


__all__ = [
    "Frontend",
    "HealthCheck",
    "LbHost",
    "LbModel",
    "LoadedModel",
    "Pool",
    "Route",
    "Server",
    "Settings",
    "VipPair",
    "dump_document_yaml",
    "dump_model_yaml",
    "duration_ms",
    "frontend_vip",
    "load_model",
    "load_model_file",
    "model_document",
    "parse_document",
    "pool_mode",
    "pool_users",
    "validate_data",
    "vip_address",
    "vrrp_router_ids",
    "vrrp_version",
]
