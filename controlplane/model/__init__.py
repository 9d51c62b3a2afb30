"""The declarative model: file format, validation rules, loading and export."""

from .export import dump_document_yaml, dump_model_yaml, model_document
from .loader import LoadedModel, load_model, load_model_file, parse_document, validate_data
from .rules import frontend_vip, pool_mode, pool_users, vip_address, vrrp_router_ids, vrrp_version
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
