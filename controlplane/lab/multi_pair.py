"""A lab model with several VIP pairs: the lab model's pair and frontends, once per pair.

Pair k (1-based) is hosts lb(2k-1) and lb(2k), virtual router 50+k, VIP 198.18.0.(99+k);
every pair fronts the same backends. Used to measure and test deploys of several pairs.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from ..paths import lab_model_file
from .topology import MAX_LB_HOSTS, lb_address, lb_name

VIP_BASE = 99


def pair_vip(pair: int) -> str:
    """Return the VIP of pair number `pair` (1-based): pair 1 = 198.18.0.100."""
    return f"198.18.0.{VIP_BASE + pair}"


def multi_pair_document(pairs: int) -> dict[str, Any]:
    """Return the lab model document with `pairs` VIP pairs on 2 x `pairs` LB hosts."""
    if not 1 <= pairs <= MAX_LB_HOSTS // 2:
        raise ValueError(f"pairs={pairs}: the lab has room for 1..{MAX_LB_HOSTS // 2} pairs")
    base = yaml.safe_load(lab_model_file().read_text())
    [template_pair] = base["vip_pairs"]
    document = copy.deepcopy(base)
    document["lb_hosts"] = [
        {"name": lb_name(i), "address": lb_address(i), "interface": "eth0"}
        for i in range(1, 2 * pairs + 1)
    ]
    document["vip_pairs"] = []
    document["frontends"] = []
    for k in range(1, pairs + 1):
        name = template_pair["name"] if k == 1 else f"{template_pair['name']}{k}"
        pair = copy.deepcopy(template_pair)
        pair.update(
            name=name,
            hosts=[lb_name(2 * k - 1), lb_name(2 * k)],
            virtual_router_id=50 + k,
            vips=[f"{pair_vip(k)}/24"],
        )
        document["vip_pairs"].append(pair)
        for frontend in base["frontends"]:
            copied = copy.deepcopy(frontend)
            copied["vip_pair"] = name
            if k > 1:
                copied["name"] = f"{frontend['name']}{k}"
            if "vip" in copied:
                copied["vip"] = pair_vip(k)
            document["frontends"].append(copied)
    return document
