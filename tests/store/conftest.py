"""Store fixtures: every store test runs on SQLite and on a real, throwaway PostgreSQL.

The PostgreSQL cluster is started once per test session in a temporary folder, listens
only on a unix socket there, and is stopped by its pid at the end (also after failures).
Each test gets its own database, copied from a template migrated once.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from controlplane.model import LbModel, load_model_file
from controlplane.store import make_engine, session_factory, upgrade
from tests.support import EXAMPLE

PG_USER = "postgres"  # the system user that runs the server when the tests run as root
TEMPLATE_DB = "lbctl_template"
_numbers = itertools.count(1)


def _postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version, reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


@dataclass
class PostgresCluster:
    """A private PostgreSQL server: data and socket in one temporary folder."""

    bindir: Path
    root: Path
    run_as: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@/{database}?host={self.root}"

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", PG_USER, "--auth=trust", "--no-sync")
        options = (
            f"-c listen_addresses='' -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            # SIGQUIT is PostgreSQL's immediate shutdown, for when pg_ctl itself fails.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGQUIT)

    def sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.root), user=PG_USER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.run_as, str(self.bindir / tool), *args]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)


def _start_postgres() -> PostgresCluster:
    """Return a running cluster, or skip the PostgreSQL tests saying why it cannot run."""
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (Debian package: postgresql)")
    run_as: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="lbctl-pg-"))
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: hand the folder to the postgres system user.
        try:
            account = pwd.getpwnam(PG_USER)
        except KeyError:
            shutil.rmtree(root)
            pytest.skip(f"running as root but there is no {PG_USER!r} system user to run as")
        os.chown(root, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", PG_USER, "--"]
    cluster = PostgresCluster(bindir, root, run_as)
    try:
        cluster.start()
    except (OSError, subprocess.SubprocessError) as exc:
        cluster.stop()
        log = root / "server.log"
        detail = getattr(exc, "stderr", "") or (log.read_text() if log.exists() else str(exc))
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL server: {detail.strip()[-500:]}")
    return cluster


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = _start_postgres()
    try:
        cluster.sql(f"CREATE DATABASE {TEMPLATE_DB}")
        _migrate(cluster.url(TEMPLATE_DB))
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # a template database must have no open connections


@dataclass
class Backend:
    """Hands out fresh databases of one kind to the tests."""

    name: str
    tmp_path: Path
    postgres: PostgresCluster | None = None
    sqlite_template: Path | None = None
    created: list[str] = field(default_factory=list)

    def empty_url(self) -> str:
        """Return the URL of a new database without any tables."""
        return self._new(template=None)

    def migrated_url(self) -> str:
        """Return the URL of a new database migrated to the newest schema."""
        return self._new(template=TEMPLATE_DB)

    def _new(self, template: str | None) -> str:
        number = next(_numbers)
        if self.postgres is None:
            path = self.tmp_path / f"db{number}.sqlite3"
            if template and self.sqlite_template:
                shutil.copyfile(self.sqlite_template, path)
            return f"sqlite:///{path}"
        name = f"test_{number}"
        self.postgres.sql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        self.created.append(name)
        return self.postgres.url(name)

    def drop_all(self) -> None:
        for name in self.created:
            assert self.postgres is not None
            self.postgres.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A source of fresh databases: SQLite files, or databases on the session's PostgreSQL."""
    if request.param == "sqlite":
        yield Backend(
            "sqlite", tmp_path, sqlite_template=request.getfixturevalue("sqlite_template")
        )
        return
    found = Backend("postgresql", tmp_path, postgres=request.getfixturevalue("postgres"))
    try:
        yield found
    finally:
        found.drop_all()


@pytest.fixture
def engine(backend: Backend) -> Iterator[Engine]:
    """An engine on a fresh database migrated to the newest schema."""
    created = make_engine(backend.migrated_url())
    try:
        yield created
    finally:
        created.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as opened:
        yield opened


@pytest.fixture(scope="session")
def example_model() -> LbModel:
    return load_model_file(EXAMPLE).model
