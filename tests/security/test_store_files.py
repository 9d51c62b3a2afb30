"""The SQLite store and its folder are private to the control plane's user."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from controlplane.cli import main
from controlplane.store import make_engine, upgrade


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which files used to come out world-readable."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def test_a_new_sqlite_store_is_readable_by_its_owner_only(tmp_path: Path, usual_umask) -> None:
    path = tmp_path / "instance" / "lbctl.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        wal = path.with_name(path.name + "-wal")
        assert (mode(path.parent), mode(path)) == (0o700, 0o600)
        assert not wal.exists() or mode(wal) == 0o600
    finally:
        engine.dispose()


def test_an_existing_world_readable_store_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "lbctl.sqlite3"
    path.touch()
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600


def test_store_init_makes_a_private_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, usual_umask
) -> None:
    home = tmp_path / "instance"
    monkeypatch.setenv("LBCTL_HOME", str(home))
    monkeypatch.delenv("LBCTL_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["store", "init"])
    assert result.exit_code == 0, result.output
    assert (mode(home), mode(home / "lbctl.sqlite3")) == (0o700, 0o600)
