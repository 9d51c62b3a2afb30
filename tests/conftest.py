"""Fixtures shared by the whole suite (the lab's too: one lab session for every directory)."""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

# Deploy locks are files in one machine-wide folder (deploy/lock.py reads this variable when
# imported, so it is set before any controlplane import). Each test process -- each worker
# of `pytest -n` -- gets its own: two workers deploying the same environment name at once
# are two tests, not two deploys to keep apart; a worker's own subprocesses inherit it.
os.environ["LBCTL_LOCK_DIR"] = tempfile.mkdtemp(prefix="lbctl-test-locks-")
# The CLI's result cache (usecases/result_cache.py) keys on the code on disk, not on what a
# test monkeypatches: off for every test and its subprocesses, and never the user's own
# ~/.cache. The cache's tests turn it on, each in a folder of its own.
os.environ["LBCTL_CACHE"] = "0"

from controlplane import lab as lab_api
from controlplane.lab import Lab
from controlplane.store.revision_cache import REVISIONS
from tests.support import EXAMPLE, load_yaml

_EXAMPLE = load_yaml(EXAMPLE)


@pytest.fixture(autouse=True)
def _fresh_revision_cache() -> None:
    """Each test starts with an empty revision cache: a monkeypatched rule or check must not
    meet a result an earlier test cached for a revision of the same name and hash."""
    REVISIONS.clear()


@pytest.fixture
def example() -> dict[str, Any]:
    """A fresh, mutable copy of the example model document."""
    return copy.deepcopy(_EXAMPLE)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark every lab test `lab` and put it in the `lab` group of `pytest -n --dist loadgroup`.

    They share one lab and are the longest lane (deploys over SSH, failovers): on one worker
    of their own, everything else runs beside them. Marked here, as each test is collected,
    because xdist reads the group when it collects too (its own modifyitems hook, which may
    run before any of ours: marks added there came too late and the lab tests were spread
    over both workers, each waiting for the other's lab).
    """
    if _uses_the_lab(item):
        item.add_marker(pytest.mark.lab)
        item.add_marker(pytest.mark.xdist_group("lab"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the lab tests first, in their own order, so the longest lane starts at once."""
    on_lab = [item for item in items if item.get_closest_marker("lab")]
    items[:] = on_lab + [item for item in items if not item.get_closest_marker("lab")]


def _uses_the_lab(item: pytest.Item) -> bool:
    # A test that reaches the lab through a fixture is a lab test, marked or not: on another
    # worker it would wait for the lab worker's reservation.
    fixtures = getattr(item, "fixturenames", ())
    return item.get_closest_marker("lab") is not None or "lab_session" in fixtures


def _favour_the_lab_lane() -> None:
    """Give the lab worker (and the daemons and Ansible runs it starts) the CPU first.

    On two cores the other worker's CPU-bound tests would otherwise stretch the lab's
    timed steps (reloads, failovers); only root may raise a priority.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") and os.geteuid() == 0:
        os.setpriority(os.PRIO_PROCESS, 0, -5)


# Another test session on this machine may hold the lab (namespace names are global).
WAIT_FOR_OTHER_SESSION_S = 900.0


@pytest.fixture(scope="session")
def lab_session() -> Iterator[None]:
    """Hold and bring up the lab once for the session; always tear it down at the end."""
    reason = lab_api.require_root_lab()
    if reason:
        pytest.skip(reason)
    _favour_the_lab_lane()
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
