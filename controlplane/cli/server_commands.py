"""Commands that run and administer the control plane: serve, store init, user, token.

They work on the store named by LBCTL_HOME / LBCTL_DATABASE_URL, the same one the
admin app uses; every change is audited as `cli:<login>`.
"""

from __future__ import annotations

import getpass
import secrets
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from .. import store
from ..usecases import revisions
from ..web.config import WebSettings
from .group import EXISTING_FILE, main
from .output import err, fail, user_errors

if TYPE_CHECKING:
    from flask import Flask
    from waitress.server import BaseWSGIServer, MultiSocketServer

ROLE = click.Choice([r.value for r in store.Role])


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, help="TCP port (0: any free one).")
@click.option("--threads", default=8, show_default=True, help="Worker threads.")
def serve(host: str, port: int, threads: int) -> None:
    """Serve the admin app and /api/v1 with waitress (LBCTL_* settings, see docs/admin-app.md)."""
    from ..web import create_app

    with user_errors():
        try:
            app = create_app(background=True)
        except ValueError as exc:  # a malformed LBCTL_* setting
            fail(str(exc))
    serve_app(app, host, port, threads)


def serve_app(
    app: Flask, host: str, port: int, threads: int = 8, stops: str = "Ctrl-C stops it"
) -> None:
    """Serve ``app`` with waitress until Ctrl-C (KeyboardInterrupt); print where first."""
    from waitress.server import create_server

    with user_errors():
        server = create_server(app, host=host, port=port, threads=threads)
    click.echo(f"lbctl admin app on {', '.join(_urls(server))} ({stops})")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _urls(server: MultiSocketServer | BaseWSGIServer) -> list[str]:
    """Return the URL of each socket the server listens on (port 0: the one the OS chose)."""
    from waitress.server import MultiSocketServer

    # A name that resolves to several addresses (localhost: ::1 and 127.0.0.1) gets one
    # socket each, and waitress then answers with a server for all of them.
    addresses: Sequence[tuple[str, int | str]]  # getsockname() gives the port as text
    if isinstance(server, MultiSocketServer):
        addresses = server.effective_listen
    else:
        addresses = [server.getsockname()]
    return [f"http://[{h}]:{p}/" if ":" in h else f"http://{h}:{p}/" for h, p in addresses]


@main.group("store")
def store_group() -> None:
    """The control plane's store (LBCTL_HOME, or LBCTL_DATABASE_URL for PostgreSQL)."""


@store_group.command("init")
@click.option(
    "--import",
    "import_file",
    type=EXISTING_FILE,
    help="Model file to import as revision 1 when the environment has no revision yet.",
)
def store_init(import_file: Path | None) -> None:
    """Migrate the store; import a first revision and create user admin when missing.

    Safe to run again: it only does what is still missing. The admin password is
    printed once, when the user is created.
    """
    password = init_store(WebSettings.from_environ(), import_file)
    if password:
        click.echo(f"created user admin with password {password}")
        click.echo("(shown only this once: log in and keep it somewhere safe)")


def init_store(settings: WebSettings, import_file: Path | None) -> str | None:
    """Migrate the store; import ``import_file`` and create user admin when missing.

    Returns the new admin's password (for the caller to print, once), or None when the
    store had users already.
    """
    password = None
    with user_errors(), _store_errors(), _session(settings) as session:
        environment = settings.environment
        head = store.current_revision(session, environment)
        if head is None and import_file is not None:
            head = revisions.import_yaml(
                session,
                environment,
                import_file.read_text(),
                cli_actor(),
                f"Import {import_file.name}",
                None,
            )
            click.echo(f"imported {import_file} as {environment} revision {head.number}")
        elif head is None:
            err(f"{environment} has no revision yet: run again with --import FILE")
        else:
            click.echo(f"{environment} is at revision {head.number}")
        if not store.list_users(session):
            password = secrets.token_urlsafe(18)
            store.create_user(session, "admin", password, store.Role.admin)
            _audit(session, "user.create", "admin", {"role": "admin"})
    click.echo(f"store ready: {_where(settings)}")
    return password


@main.group()
def user() -> None:
    """Users of the admin app (and owners of API tokens)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=ROLE, default="viewer", show_default=True)
def user_add(name: str, role: str) -> None:
    """Create a user; the password is read from stdin (asked twice, hidden, on a TTY)."""
    password = _read_password()
    with _store_errors(), _session() as session:
        store.create_user(session, name, password, role)
        _audit(session, "user.create", name, {"role": role})
    click.echo(f"created user {name} ({role})")


@user.command("list")
def user_list() -> None:
    """Print every user: name, role, whether disabled, when created."""
    with _session() as session:
        for found in store.list_users(session):
            state = "disabled" if found.disabled else "active"
            click.echo(f"{found.name:20} {found.role:9} {state:9} {found.created_at:%Y-%m-%d}")


@user.command("disable")
@click.argument("name")
def user_disable(name: str) -> None:
    """Stop a user from logging in and from using their tokens."""
    with _store_errors(), _session() as session:
        store.disable_user(session, name)
        _audit(session, "user.disable", name, {})
    click.echo(f"disabled user {name}")


@main.group()
def token() -> None:
    """API tokens for CI and scripts (sent as `Authorization: Bearer`)."""


@token.command("create")
@click.option("--user", "user_name", required=True, help="The token acts as this user.")
@click.option("--name", required=True, help="What the token is for, e.g. ci.")
@click.option("--role", type=ROLE, help="At most the user's role (default: the user's).")
def token_create(user_name: str, name: str, role: str | None) -> None:
    """Create a token and print it once on stdout (it is not stored, only its hash)."""
    with _store_errors(), _session() as session:
        owner = store.get_user(session, user_name)
        row, plaintext = store.create_token(session, owner, name, role or owner.role)
        _audit(session, "token.create", f"{user_name}/{name}", {"id": row.id, "role": row.role})
        err(f"token {row.id} ({user_name}/{name}, {row.role}); shown only this once:")
    click.echo(plaintext)


@token.command("list")
def token_list() -> None:
    """Print every token: id, user/name, role, created, last used, revoked."""
    with _session() as session:
        for row in store.list_tokens(session):
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used"
            revoked = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else ""
            click.echo(
                f"{row.id:4} {row.user.name + '/' + row.name:30} {row.role:9} "
                f"{row.created_at:%Y-%m-%d} {used:16} {revoked}".rstrip()
            )


@token.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token for good."""
    with _store_errors(), _session() as session:
        row = store.revoke_token(session, token_id)
        _audit(session, "token.revoke", f"{row.user.name}/{row.name}", {"id": token_id})
    click.echo(f"revoked token {token_id}")


@contextmanager
def _session(settings: WebSettings | None = None) -> Iterator[Session]:
    """Yield a session on the migrated store, committed when the block succeeds."""
    settings = settings or WebSettings.from_environ()
    engine = store.make_engine(settings.database_url)
    try:
        store.upgrade(engine)
        with store.session_factory(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except store.StoreError as exc:
        fail(str(exc))


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("give the password on stdin, e.g. printf '%s\\n' \"$PASSWORD\" | lbctl user add ...")
    return password


def cli_actor() -> store.Actor:
    return store.Actor(f"cli:{_login()}", "admin", None, "cli")


def _audit(session: Session, action: str, target: str, detail: dict[str, object]) -> None:
    store.record_audit(session, cli_actor(), action, target, detail)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _where(settings: WebSettings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)
