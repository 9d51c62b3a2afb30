"""The one check for a list whose items must differ in one key (a name, an address).

Every area of the model (pools, user lists, track scripts, resolvers...) refuses the same
mistake with the same words, so an operator reads one form of message wherever it happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..errors import FieldError


def duplicate_errors(
    list_path: str,
    items: Iterable[object],
    *,
    key: str = "name",
    label: str = "name",
    listed_as: str | None = None,
) -> Iterator[FieldError]:
    """Yield an error at each item whose `key` an earlier item of the list already has.

    The error's path is ``list_path[index].key``; the message names the first holder as
    ``listed_as[index]`` (default: `list_path`), so nested lists can name the short form.
    """
    first: dict[object, int] = {}
    for index, item in enumerate(items):
        value = getattr(item, key)
        if value in first:
            yield FieldError(
                f"{list_path}[{index}].{key}",
                f"duplicate {label} {value!r} (also {listed_as or list_path}[{first[value]}])",
            )
        else:
            first[value] = index
