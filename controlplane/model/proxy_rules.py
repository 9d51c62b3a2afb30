"""Cross-object rules of user lists, the stats page, logging, TCP services and proxy options.

`rules.check_model` calls `proxy_errors` and `proxy_warnings`; each rule names the
offending field by path, like the rules of rules.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import FieldError
from .userlists import userlist_errors

if TYPE_CHECKING:
    from .schema import LbModel


def proxy_errors(model: LbModel) -> Iterator[FieldError]:
    """Yield every error of this area's fields in a field-valid model."""
    yield from userlist_errors(model)


def proxy_warnings(model: LbModel) -> Iterator[FieldError]:
    """Yield what works but is probably not what the operator meant."""
    yield from ()
