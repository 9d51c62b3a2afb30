"""What a keepalived.conf change does, in the operator's words, for the deploy plan.

Every keepalived.conf change is applied the same way (a keepalived reload), so the plan's
value is in saying what changes: a VRRP instance or script added or removed, a setting
from one value to another, VIPs added to or removed from an instance, and above all a
change of the VIP list the adverts carry. A VRRPv2/v3 advert lists its instance's
`virtual_ipaddress` addresses and keepalived drops an advert whose list differs from its
own, so while one host runs the new list and the other the old one, each may think its
peer gone and both hold the VIPs (measured in the lab: 198.18.0.100 on both hosts for
5.0 s when a second VIP was added). `virtual_ipaddress_excluded` addresses are not in
adverts, which is why `advertised_vips: first` makes adding a VIP safe.

This reads the layout render writes: a top-level `NAME ARGS {` block up to a `}` line, and
inside a vrrp_instance four-space `KEY {` sub-blocks and `KEY VALUE` lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ADVERTISED = "virtual_ipaddress"
EXCLUDED = "virtual_ipaddress_excluded"


@dataclass
class Block:
    settings: dict[str, str] = field(default_factory=dict)  # KEY -> rest of the line
    lists: dict[str, list[str]] = field(default_factory=dict)  # sub-block -> its lines


def read_blocks(text: str) -> dict[str, Block]:
    """Return each top-level block ("vrrp_instance edge", "global_defs"...) read."""
    blocks: dict[str, Block] = {}
    current: Block | None = None
    sub: list[str] | None = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        if not raw[0].isspace() and line.endswith("{"):
            current, sub = blocks.setdefault(line[:-1].strip(), Block()), None
        elif current is None:
            continue
        elif line == "}":
            if sub is not None and raw.startswith("    "):
                sub = None
            else:
                current, sub = None, None
        elif line.endswith("{") and sub is None:
            sub = current.lists.setdefault(line[:-1].strip(), [])
        elif sub is not None:
            sub.append(line)
        else:
            key, _, value = line.partition(" ")
            current.settings[key] = value
    return blocks


def keepalived_changes(old: str, new: str) -> list[str]:
    """Return what changes between two keepalived.conf texts, one line per change."""
    before, after = read_blocks(old), read_blocks(new)
    found = [f"remove {name}" for name in before if name not in after]
    for name, block in after.items():
        if name not in before:
            found.append(f"add {name}")
            continue
        found += _block_changes(name, before[name], block)
    return found


def advert_changes(old: str, new: str) -> list[tuple[str, list[str], list[str]]]:
    """Return (instance, old list, new list) for each instance whose adverts' VIPs change."""
    before, after = read_blocks(old), read_blocks(new)
    return [
        (name.split(" ", 1)[1], _vips(before[name], ADVERTISED), _vips(block, ADVERTISED))
        for name, block in after.items()
        if name.startswith("vrrp_instance ")
        and name in before
        and _vips(before[name], ADVERTISED) != _vips(block, ADVERTISED)
    ]


def _block_changes(name: str, old: Block, new: Block) -> list[str]:
    found = []
    for key in sorted(old.settings.keys() | new.settings.keys()):
        was, now = old.settings.get(key), new.settings.get(key)
        if was != now:
            found.append(f"{name}: {key} {_shown(was)} -> {_shown(now)}")
    for key in sorted(old.lists.keys() | new.lists.keys()):
        if old.lists.get(key, []) == new.lists.get(key, []):
            continue
        if key == ADVERTISED:
            found.append(
                f"{name}: the VIPs its adverts carry change ({', '.join(_vips(old, key)) or '-'}"
                f" -> {', '.join(_vips(new, key)) or '-'}); until both hosts run the new list "
                "they drop each other's adverts and both may hold the VIPs for seconds"
            )
        elif key == EXCLUDED:
            added = [v for v in _vips(new, key) if v not in _vips(old, key)]
            removed = [v for v in _vips(old, key) if v not in _vips(new, key)]
            found += [f"{name}: add VIP {v} (not in adverts)" for v in added]
            found += [f"{name}: remove VIP {v} (not in adverts)" for v in removed]
        else:
            found.append(f"{name}: {key} changed")
    return found


def _vips(block: Block, key: str) -> list[str]:
    return [line.split()[0] for line in block.lists.get(key, [])]


def _shown(value: str | None) -> str:
    if value is None:
        return "(none)"
    return value or "(set)"
