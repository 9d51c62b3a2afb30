"""A frontend's logging lines as the model's `logging`, when it renders them back.

`log-format 'F'` is `custom_format`; `no log` alone is `enabled: false`; `no log` followed
by `log ADDRESS ...` lines is `targets` (a proxy's own `log` lines add to the ones it
inherits, so without `no log` they stay verbatim); `no option dontlognull` is
`log_empty_connections`; `unique-id-format 'F'` with `unique-id-header H` is
`request_id`. A line of these the model refuses (a value it does not accept) leaves all
of them verbatim, in order.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..model.logs import FrontendLogging
from .haproxy_reader import Line
from .proxy_settings import log_target

_KEYWORDS = ("log-format", "log", "unique-id-format", "unique-id-header")


def is_logging_line(w: list[str]) -> bool:
    return w[0] in _KEYWORDS or w in (["no", "log"], ["no", "option", "dontlognull"])


def frontend_logging(lines: list[Line]) -> dict[str, Any] | None:
    """The model's `logging` said by a frontend's logging lines; None: none, or no model form."""
    found: dict[str, Any] = {}
    request_id: dict[str, str] = {}
    no_log = False
    targets: list[dict[str, Any]] = []
    for line in lines:
        w = line.words
        if not is_logging_line(w) or w == ["log", "global"]:
            continue
        if w[0] == "log-format" and len(w) == 2 and "custom_format" not in found:
            found["custom_format"] = w[1]
        elif w == ["no", "log"] and not no_log and not targets:
            no_log = True
        elif w[0] == "log" and no_log and (target := log_target(w)) is not None:
            targets.append(target)
        elif w == ["no", "option", "dontlognull"]:
            found["log_empty_connections"] = True
        elif w[0] == "unique-id-format" and len(w) == 2 and "format" not in request_id:
            request_id["format"] = w[1]
        elif w[0] == "unique-id-header" and len(w) == 2 and "header" not in request_id:
            request_id["header"] = w[1]
        else:
            return None
    if request_id:
        if set(request_id) != {"format", "header"}:
            return None
        found["request_id"] = request_id
    if targets:
        found["targets"] = targets
    elif no_log:
        if "custom_format" in found:
            return None  # lbctl prints no format for a frontend that does not log
        found["enabled"] = False
    if not found:
        return None
    try:
        FrontendLogging.model_validate(found)
    except ValidationError:
        return None
    return found
