"""Parse a model document (YAML or JSON text) into plain data, refusing hostile input.

YAML goes through ryaml (libyaml's parser in Rust, via serde_yaml): it builds the whole
document natively, about 15x faster than PyYAML's C loader, whose constructor and resolver
are Python (3.4 s against 0.3 s for 50,000 servers). It also refuses, as the parser itself,
what must never reach validation: duplicate keys, alias bombs ("repetition limit exceeded"),
nesting past 128 levels, several documents in one file. Tags are not constructed (a
`!!python/...` tag cannot run anything). Plain scalars follow YAML 1.2 (`yes`, `on` stay
strings), so a name such as `on` or `no` is not silently turned into a boolean.

Merge keys (`<<: *anchor`, YAML 1.1) are applied here, after parsing: explicit keys win over
merged ones, and among merged mappings the first listed wins, as in PyYAML.
"""

from __future__ import annotations

import json
import re
from typing import Any

import ryaml

from ..errors import one_error
from .guards import MERGE_KEY, check_alias_expansion, check_flow_depth, locate_duplicate_key

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024

_POSITION = re.compile(r" at line (\d+) column (\d+)")
_TOO_BIG = re.compile(r"(?P<path>[^:\s]+): invalid type: integer `(?P<number>\d+)` as u128")


def parse_document(text: str | bytes, source: str = "<model>") -> dict[str, Any]:
    """Return the document's top-level mapping; malformed input raises ModelInvalid."""
    # Bytes, not characters: a text (e.g. a web import) is measured as the UTF-8 it is.
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise one_error(source, "", f"document is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise one_error(source, "", f"not UTF-8 text (byte {exc.start})") from None
    if source.endswith(".json"):
        data = _parse_json(text, source)
    else:
        check_flow_depth(text, source)
        check_alias_expansion(text, source)
        data = _parse_yaml(text, source)
        if MERGE_KEY in text:  # walking 50,000 servers for nothing costs a quarter second
            data = _apply_merge_keys(data, source)
    if not isinstance(data, dict):
        raise one_error(source, "", f"must be a mapping at the top level, got {type_name(data)}")
    return data


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise one_error(source, f"line {exc.lineno}, column {exc.colno}", exc.msg) from None
    except RecursionError:
        raise one_error(source, "", "document is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise one_error(source, "", f"malformed JSON: {exc}") from None


def _json_int(digits: str) -> int | str:
    # Python refuses to convert more than 4,300 digits, and raises without a position: keep
    # such a number as text, so validation names its field ("must be a whole number").
    return int(digits) if len(digits) <= 100 else f"{digits[:12]}... ({len(digits)} digits)"


def _parse_yaml(text: str, source: str) -> Any:
    try:
        return ryaml.loads(text)
    except ryaml.InvalidYamlError as exc:
        message = str(exc)
        found = _POSITION.search(message)
        # The first position is where the parser stopped; later ones give context only.
        where = f"line {found[1]}, column {found[2]}" if found else ""
        problem = _POSITION.sub("", message).split(", while ")[0]
        if "duplicate entry with key" in problem:
            where, problem = locate_duplicate_key(text) or (where, problem)
        too_big = _TOO_BIG.match(problem)
        if too_big:  # serde_yaml names the field: report it like a validation error
            where, problem = too_big["path"], f"{too_big['number']} is too large a number"
        raise one_error(source, where, _readable(problem)) from None
    except (ValueError, TypeError) as exc:  # e.g. a list used as a mapping key
        raise one_error(source, "", f"malformed YAML: {exc}") from None


def _readable(problem: str) -> str:
    if "duplicate entry with key" in problem:
        return problem.replace("duplicate entry with key", "duplicate key")
    if problem == "repetition limit exceeded":
        return "too many alias expansions (YAML alias bomb?)"
    if problem == "recursion limit exceeded":
        return "document is nested too deeply"
    return problem


def _apply_merge_keys(data: Any, source: str) -> Any:
    """Return `data` with every `<<` key replaced by the mappings it names (iteratively)."""
    pending = [data]
    merging: list[dict[Any, Any]] = []
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if MERGE_KEY in item:
                merging.append(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    # Innermost first: a merged mapping's own `<<` is resolved before it is copied.
    for mapping in reversed(merging):
        if MERGE_KEY not in mapping:
            continue  # the same mapping reached twice
        sources = mapping.pop(MERGE_KEY)
        sources = sources if isinstance(sources, list) else [sources]
        if not all(isinstance(s, dict) for s in sources):
            message = "merge key `<<` must name a mapping or a list of them"
            raise one_error(source, MERGE_KEY, message)
        merged: dict[Any, Any] = {}
        for extra in reversed(sources):
            merged.update(extra)
        merged.update(mapping)
        mapping.clear()
        mapping.update(merged)
    return data


def type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true/false",
        type(None): "empty",
    }.get(type(value), type(value).__name__)
