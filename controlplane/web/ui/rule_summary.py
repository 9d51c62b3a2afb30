"""One line per routing rule for the frontend page's ordered list: conditions and action."""

from __future__ import annotations

from typing import Any

from ...model.routing import ACTIONS


def rule_summary(rule: dict[str, Any]) -> dict[str, Any]:
    """Return the rule with `conditions` and `action` columns added, for display only."""
    parts = []
    for key, word in (("when", ""), ("unless", "unless ")):
        if isinstance(rule.get(key), dict):
            parts.append(word + _tests(rule[key]))
    any_of = rule.get("when_any")
    if isinstance(any_of, list) and any_of:
        parts.append("any of: " + " | ".join(_tests(m) for m in any_of if isinstance(m, dict)))
    action = next((a for a in ACTIONS if a in rule), "")
    value = rule.get(action)
    detail = value if isinstance(value, str) else _tests(value) if isinstance(value, dict) else ""
    return {
        **rule,
        "conditions": "; ".join(parts) or "always",
        "action": f"{action.replace('_', ' ')} {detail}".strip(),
    }


def _tests(match: dict[str, Any]) -> str:
    return ", ".join(f"{key} {_value(value)}" for key, value in match.items())


def _value(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k}={_value(v)}" for k, v in value.items())
    return str(value)
