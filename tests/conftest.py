"""Fixtures shared by the whole suite (the lab's too: one lab session for every directory)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from controlplane import lab as lab_api
from controlplane.lab import Lab
from tests.support import EXAMPLE, load_yaml

_EXAMPLE = load_yaml(EXAMPLE)


@pytest.fixture
def example() -> dict[str, Any]:
    """A fresh, mutable copy of the example model document."""
    return copy.deepcopy(_EXAMPLE)


# Another test session on this machine may hold the lab (namespace names are global).
WAIT_FOR_OTHER_SESSION_S = 900.0


@pytest.fixture(scope="session")
def lab_session() -> Iterator[None]:
    """Hold and bring up the lab once for the session; always tear it down at the end."""
    reason = lab_api.require_root_lab()
    if reason:
        pytest.skip(reason)
    try:
        with lab_api.reserved(timeout=WAIT_FOR_OTHER_SESSION_S):
            try:
                lab_api.up(lb_hosts=2, backends=3)
                yield
            finally:
                lab_api.down()
    except lab_api.LabBusyError as busy:
        pytest.skip(str(busy))


@pytest.fixture
def lab(lab_session: None) -> Lab:
    """Return the running lab; rebuild it when an earlier test took it down or broke it."""
    current = lab_api.current()
    if current is None or current.health():
        current = lab_api.up(lb_hosts=2, backends=3)
    return current


@pytest.fixture(scope="module")
def fresh_lab(lab_session: None) -> Iterator[Lab]:
    """A lab whose hosts have never seen a deploy; rebuilt fresh again for later modules."""
    try:
        yield lab_api.up(lb_hosts=2, backends=3)
    finally:
        lab_api.up(lb_hosts=2, backends=3)
