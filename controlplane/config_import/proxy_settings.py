"""Global `tune.*` and `log` lines, and a frontend's `compression`, as model fields.

Each maps only when the model's field renders the same line back: `tune.bufsize 32768`
is `tune: {bufsize: 32768}`; `log ADDRESS [format F] FACILITY [LEVEL]` one of
`log_targets` (several, or one the v1 `log_target` cannot say); a frontend's
`compression algo ...` with its `compression type ...` its `compression`. The model
validates the values; one it refuses leaves the line verbatim (kept as extra).
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..model.logs import LogTarget
from ..model.tuning import Compression, Tune

# tune.<keyword> -> the model's field (the other fields are the keyword itself).
_TUNE_FIELDS = {
    "http.maxhdr": "http_maxhdr",
    "ssl.default-dh-param": "ssl_default_dh_param",
    "ssl.cachesize": "ssl_cachesize",
    "ssl.lifetime": "ssl_lifetime",
    "h2.max-concurrent-streams": "h2_max_concurrent_streams",
}
_LEVELS = set(typing.get_args(typing.get_args(LogTarget.model_fields["level"].annotation)[0]))


def tune_line(w: list[str], settings: dict[str, Any]) -> bool:
    """Map `tune.KEYWORD VALUE` into settings['tune']; False when the model has no field."""
    if len(w) != 2 or not w[0].startswith("tune."):
        return False
    keyword = w[0].removeprefix("tune.")
    name = _TUNE_FIELDS.get(keyword, keyword)
    if name not in Tune.model_fields or name in settings.get("tune", {}):
        return False
    value: Any = int(w[1]) if w[1].lstrip("-").isdigit() else w[1]
    try:
        Tune.model_validate({name: value})
    except ValidationError:
        return False
    settings.setdefault("tune", {})[name] = value
    return True


def log_target(w: list[str]) -> dict[str, Any] | None:
    """`log ADDRESS [format F] FACILITY [LEVEL]` as a model log target, or None."""
    if w[0] != "log" or len(w) < 3:
        return None
    target: dict[str, Any] = {"address": w[1]}
    rest = w[2:]
    if rest[:1] == ["format"] and len(rest) >= 3:
        target["format"] = rest[1]
        rest = rest[2:]
    target["facility"] = rest[0]
    if len(rest) == 2 and rest[1] in _LEVELS:
        target["level"] = rest[1]
    elif len(rest) != 1:
        return None
    try:
        TypeAdapter(LogTarget).validate_python(target)
    except ValidationError:
        return None
    return target


def settle_log_targets(settings: dict[str, Any]) -> None:
    """One plain `log ADDRESS local0` is the v1 `log_target`; several stay `log_targets`."""
    targets = settings.get("log_targets", [])
    plain = len(targets) == 1 and set(targets[0]) == {"address", "facility"}
    if plain and targets[0]["facility"] == "local0":
        settings["log_target"] = targets[0]["address"]
        del settings["log_targets"]


def frontend_compression(lines: list[list[str]]) -> dict[str, Any] | None:
    """A frontend's one `compression algo` and one `compression type` line, or None.

    Both or neither: the model's compression always renders both, and without a `type`
    line HAProxy compresses every type.
    """
    found: dict[str, list[str]] = {}
    for w in lines:
        if w[0] != "compression":
            continue
        key = {"algo": "algorithms", "type": "types"}.get(w[1] if len(w) > 2 else "")
        if key is None or key in found:
            return None
        found[key] = w[2:]
    if set(found) != {"algorithms", "types"}:
        return None
    try:
        Compression.model_validate(found)
    except ValidationError:
        return None
    return found
