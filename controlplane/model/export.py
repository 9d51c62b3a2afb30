"""Turn an LbModel back into the document format it was loaded from (plain data or YAML)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .schema import LbModel

# Wide enough that no valid value (directives and paths are at most 1024 characters) is
# folded over two lines, which would be valid YAML but a noisy diff.
_LINE_WIDTH = 4096


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's dumper, quoting also the strings that YAML 1.2 reads as numbers.

    PyYAML quotes what YAML 1.1 would not read back as a string; the loader (ryaml) follows
    YAML 1.2's core schema, where `1e3` is a float and `0o17` an integer.
    """


_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(0o[0-7]+|0x[0-9a-fA-F]+)$"), ["0"]
)


def model_document(model: LbModel) -> dict[str, Any]:
    """Return the model as plain data that `validate_data` accepts again, defaults omitted.

    Omitting defaults keeps exported documents as short as hand-written ones, and it is
    also what makes them load again: a tcp health check refuses http-only keys such as
    `path` even at their default value. Keys come in schema order.
    """
    return model.model_dump(mode="json", exclude_defaults=True)


def dump_model_yaml(model: LbModel) -> str:
    """Return the model as a block-style YAML document in the CLI's file format."""
    return dump_document_yaml(model_document(model))


def dump_document_yaml(document: dict[str, Any]) -> str:
    """Return a model document (e.g. one with masked secrets) as block-style YAML."""
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=_LINE_WIDTH,
    )
