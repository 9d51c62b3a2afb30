"""Cross-object rules at the cost of the edit: an edit no rule can see keeps its base's findings.

The cross-object rules (rules.check_model and the area modules it calls) read every pool:
at 50,000 servers they took about 0.2 s, for any edit. Most one-server edits change a
server's `weight` or `state` (the UI form, `PUT /model` with a new weight, the server
change route), and no rule reads either: those two fields are printed into haproxy.cfg
and sent through the runtime API, nothing else looks at them. So when an edited model
holds its base's very objects everywhere except in pools that differ from the base's pool
at the same place only in their servers' `weight` and `state`, every rule sees the same
inputs and gives the same answer: the base's findings are the edited model's.

"The same inputs" is checked on each changed pool's dump with the unset fields left out,
so a field given explicitly where the base left it unset counts as a change (rules may
read which fields were given). Anything else an edit changes runs every rule again.
tests/model/test_incremental.py proves the reuse equal to check_model on random edits.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .schema import LbModel, Pool

# The server fields that no cross-object rule reads (grep rules.py and the modules it
# imports for `.weight` / `.state`: only keepalived's track weights, which are not these).
RULE_BLIND_SERVER_FIELDS = frozenset({"weight", "state"})
_BLIND: Any = {"servers": {"__all__": set(RULE_BLIND_SERVER_FIELDS)}}


def rule_blind_edit(model: LbModel, base_model: LbModel) -> bool:
    """Return whether `model` differs from `base_model` only in what no rule reads: the
    same objects everywhere (or equal ones given the same fields), except pools whose
    servers' weight or state changed."""
    if model.model_fields_set != base_model.model_fields_set:
        return False
    for name in LbModel.model_fields:
        new, old = getattr(model, name), getattr(base_model, name)
        if new is old:
            continue
        if isinstance(new, BaseModel) and isinstance(old, BaseModel):
            if _given(new) != _given(old):  # settings left out: a default made again
                return False
            continue
        if not isinstance(new, list) or not isinstance(old, list) or len(new) != len(old):
            return False
        if name == "pools":
            if not all(a is b or _same_for_rules(a, b) for a, b in zip(new, old, strict=True)):
                return False
        elif not all(a is b for a, b in zip(new, old, strict=True)):
            return False
    return True


def _same_for_rules(new: Pool, old: Pool) -> bool:
    """Return whether two pools differ at most in their servers' rule-blind fields."""
    if len(new.servers) != len(old.servers):
        return False
    return _given(new, _BLIND) == _given(old, _BLIND)


def _given(item: BaseModel, exclude: Any = None) -> str:
    """Return what an object was given, as JSON text: the values of the fields set, so a
    default given explicitly differs from one left out; text, not Python values, because
    True and 1 compare equal in Python and not in a rule."""
    return item.model_dump_json(exclude_unset=True, exclude=exclude)
