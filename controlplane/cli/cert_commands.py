"""`lbctl cert` and `lbctl file`: the files a config uses, in the control plane's store.

With --server (or LBCTL_SERVER) they go through its /api/v1 with --token; without, they work
on the local store (LBCTL_HOME / LBCTL_DATABASE_URL), as `lbctl user` does, audited as
`cli:<login>`. `lbctl cert list MODEL` reads the certificates a model file names instead
(the file flow). Nothing here ever prints a file's text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from .. import store
from ..store.file_encryption import FILES_KEY_ENV, new_key
from ..store.tables import FILE_KINDS
from ..web.config import WebSettings
from .group import EXISTING_FILE, RemoteOptions, main
from .output import err, fail, user_errors
from .remote_commands import remote_errors
from .server_commands import cli_actor

# On the command line kinds are spelled with '-': ca-bundle, error-page.
KIND = click.Choice([k.replace("_", "-") for k in FILE_KINDS])


@main.group("cert")
def cert_group() -> None:
    """Certificates (PEM leaf, chain, key) in the control plane's store.

    Keys are stored encrypted under LBCTL_FILES_KEY; see docs/tls.md.
    """


@cert_group.command("put")
@click.argument("name")
@click.option("--pem", "pem", required=True, type=EXISTING_FILE, help="Leaf, chain, then key.")
@click.pass_obj
def cert_put(remote: RemoteOptions, name: str, pem: Path) -> None:
    """Store (or replace) certificate NAME; refused, saying why, if HAProxy could not serve it."""
    _put(remote, "certificate", name, pem)


@cert_group.command("list")
@click.argument("model", required=False, type=EXISTING_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (metadata only).")
@click.pass_obj
def cert_list(remote: RemoteOptions, model: Path | None, as_json: bool) -> None:
    """Print certificates with days left: MODEL's (file flow), else the store's.

    Soonest to expire first.
    """
    if model is not None:
        from ..usecases.certificate_lists import file_flow_certificates

        with user_errors():
            views = file_flow_certificates(model)
    else:
        views = _list(remote, "certificate")
        views.sort(key=lambda v: (v.get("days_left", 10**9), v["name"]))
    if as_json:
        click.echo(json.dumps(views, indent=2))
        return
    _print_certificates(views)


@cert_group.command("rm")
@click.argument("name")
@click.pass_obj
def cert_rm(remote: RemoteOptions, name: str) -> None:
    """Remove certificate NAME (refused while the current model uses it)."""
    _remove(remote, "certificate", name)


@main.group("file")
def file_group() -> None:
    """Files a config uses (CA bundles, CRLs, maps, error pages, certificates) in the store."""


@file_group.command("put")
@click.option("--kind", required=True, type=KIND, help="What the file is.")
@click.argument("name")
@click.argument("file", type=EXISTING_FILE)
@click.pass_obj
def file_put(remote: RemoteOptions, kind: str, name: str, file: Path) -> None:
    """Store (or replace) FILE as the kind's NAME; refused, saying why, if it is unusable."""
    _put(remote, _kind(kind), name, file)


@file_group.command("list")
@click.option("--kind", type=KIND, help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (metadata only).")
@click.pass_obj
def file_list(remote: RemoteOptions, kind: str | None, as_json: bool) -> None:
    """Print the stored files: kind, name, size, expiry, who uploaded them and when."""
    views = _list(remote, _kind(kind) if kind else None)
    if as_json:
        click.echo(json.dumps(views, indent=2))
        return
    for view in views:
        expiry = f"{view['days_left']:>5}d" if "days_left" in view else "     -"
        click.echo(
            f"{view['kind']:12} {view['name']:24} {view['size']:>9} B {expiry} "
            f"{view['uploaded_by']} {view['uploaded_at'][:16]}"
        )


@file_group.command("rm")
@click.option("--kind", required=True, type=KIND, help="What the file is.")
@click.argument("name")
@click.pass_obj
def file_rm(remote: RemoteOptions, kind: str, name: str) -> None:
    """Remove the kind's NAME (refused while the current model uses it)."""
    _remove(remote, _kind(kind), name)


@file_group.command("keygen")
def file_keygen() -> None:
    """Print a new key for LBCTL_FILES_KEY (it is not stored anywhere: keep it safe)."""
    err(f"a new {FILES_KEY_ENV} key (set it on the control plane; see docs/tls.md):")
    click.echo(new_key())


@file_group.command("rotate-key")
def file_rotate_key() -> None:
    """Encrypt every stored certificate again under the first key of LBCTL_FILES_KEY.

    Put the new key first and the old one after it (comma-separated), run this, then drop
    the old key. Works on the local store only.
    """
    with _local() as session:
        changed = store.files.rotate_files_key(session, cli_actor())
    click.echo(f"re-encrypted {changed} stored file(s) under the first key")


# --- the two ways to a store ---------------------------------------------------------------


def _put(remote: RemoteOptions, kind: str, name: str, file: Path) -> None:
    with user_errors():
        content = file.read_bytes()
    if remote.server:
        try:
            text = content.decode()
        except UnicodeDecodeError:
            fail(f"{file} is not UTF-8 text (a DER file? convert it to PEM)")
        with remote_errors(1):
            answer = _client(remote).put_file(kind, name, text)
        view, changed, revision = answer["file"], answer["changed"], answer["revision"]
        warnings = answer["warnings"]
    else:
        from ..usecases.stored_files import file_view, upload_file

        with _local() as session:
            result = upload_file(session, _environment(), cli_actor(), kind, name, content)
            view, changed = file_view(result.file), result.changed
            revision = result.revision.number if result.revision else None
            warnings = result.warnings
    for warning in warnings:
        click.secho(f"warning: {kind} {name}: {warning}", err=True, fg="yellow")
    what = f"{kind.replace('_', ' ')} {name}"
    click.echo(f"{'stored' if changed else 'unchanged'}: {what} ({_describe(view)})")
    if revision is not None:
        click.echo(f"saved revision {revision}, which uses it: deploy it to ship it")


def _list(remote: RemoteOptions, kind: str | None) -> list[dict[str, Any]]:
    if remote.server:
        with remote_errors(1):
            return list(_client(remote).list_files(kind)["files"])
    from ..usecases.stored_files import list_views

    with _local() as session:
        return list_views(session, kind)


def _remove(remote: RemoteOptions, kind: str, name: str) -> None:
    if remote.server:
        with remote_errors(1):
            _client(remote).remove_file(kind, name)
    else:
        from ..usecases.stored_files import remove_file

        with _local() as session:
            remove_file(session, _environment(), cli_actor(), kind, name)
    click.echo(f"removed {kind.replace('_', ' ')} {name}")


def _client(remote: RemoteOptions) -> Any:
    from ..remote import RemoteClient

    if not remote.token:
        fail("--server needs --token (or LBCTL_TOKEN): an admin token to change files", 2)
    return RemoteClient(str(remote.server), str(remote.token))


@contextmanager
def _local() -> Iterator[Session]:
    """Yield a session on the local store, committed when the block succeeds."""
    settings = WebSettings.from_environ()
    engine = store.make_engine(settings.database_url)
    try:
        with user_errors(), _store_errors():
            store.upgrade(engine)
            with store.session_factory(engine).begin() as session:
                yield session
    finally:
        engine.dispose()


@contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except store.FileRefused as exc:
        click.secho(f"error: {exc.kind.replace('_', ' ')} {exc.name} refused:", err=True, fg="red")
        for problem in exc.problems:
            err(f"  {problem}")
        err("nothing was stored.")
        sys.exit(1)
    except store.StoreError as exc:
        fail(str(exc))


def _environment() -> str:
    return WebSettings.from_environ().environment


def _kind(value: str) -> str:
    return value.replace("-", "_")


def _describe(view: dict[str, Any]) -> str:
    if view["kind"] == "certificate":
        return (
            f"{view['subject']}, not after {str(view['not_after'])[:10]}, "
            f"sha256 {view['fingerprint_sha256'][:16]}..."
        )
    return f"{view['size']} bytes, sha256 {view['content_sha256'][:16]}..."


def _print_certificates(views: list[dict[str, Any]]) -> None:
    if not views:
        err("no certificates")
        return
    width = max(len(v["name"]) for v in views)
    for view in views:
        if view.get("error"):
            click.secho(f"{view['name']:{width}}  error: {view['error']}", fg="red")
            continue
        days = view["days_left"]
        colour: Callable[[str], str] = (
            (lambda s: click.style(s, fg="red"))
            if days < 14
            else (lambda s: click.style(s, fg="yellow"))
            if days < 30
            else (lambda s: s)
        )
        sans = ", ".join(view.get("sans") or [])
        click.echo(
            f"{view['name']:{width}}  {colour(f'{days:>5}d')}  {str(view['not_after'])[:10]}  "
            f"{view['subject']}  [{sans}]"
        )
