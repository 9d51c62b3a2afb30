"""Cross-object rules of user lists, the stats page, logging, TCP services and proxy options.

`rules.check_model` calls `proxy_errors` and `proxy_warnings`; each rule names the
offending field by path, like the rules of rules.py (which imports this module, so the
few facts needed from there are computed here again).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import FieldError
from .binds import ALL_IPV4
from .logs import logging_errors
from .proxies import proxy_option_errors, proxy_option_warnings
from .stats import stats_page_errors, stats_page_warnings
from .tuning import tuning_errors
from .userlists import userlist_errors, userlist_warnings

if TYPE_CHECKING:
    from .schema import LbModel


def proxy_errors(model: LbModel) -> Iterator[FieldError]:
    """Yield every error of this area's fields in a field-valid model."""
    yield from userlist_errors(model)
    yield from logging_errors(model)
    yield from proxy_option_errors(model)
    yield from tuning_errors(model)
    bound = _bound(model)
    yield from stats_page_errors(model, bound)


def proxy_warnings(model: LbModel) -> Iterator[FieldError]:
    """Yield what works but is probably not what the operator meant."""
    yield from stats_page_warnings(model)
    yield from userlist_warnings(model)
    yield from proxy_option_warnings(model)


def _bound(model: LbModel) -> dict[tuple[str, int], str]:
    """Return (address, port) -> what listens there: admin listeners and frontends."""
    s = model.settings
    bound = {
        (s.admin_address, s.monitor_port): "lbctl's monitor listener (settings.monitor_port)",
        (s.admin_address, s.metrics_port): "lbctl's metrics listener (settings.metrics_port)",
    }
    first_vip = {p.name: str(ipaddress.ip_interface(p.vips[0]).ip) for p in model.vip_pairs}
    for fe in model.frontends:
        address = fe.vip or first_vip.get(fe.vip_pair)
        if address is not None:
            bound.setdefault((address, fe.port), f"frontends[{fe.name}]")
        for i, bind in enumerate(fe.binds):
            if bind.port is not None:
                where = f"frontends[{fe.name}].binds[{i}]"
                bound.setdefault((bind.address or ALL_IPV4, bind.port), where)
    return bound
