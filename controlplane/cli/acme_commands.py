"""`lbctl acme renew` and `lbctl acme status`: ACME certificates of a stored environment.

They work on the store the admin app uses (LBCTL_HOME / LBCTL_DATABASE_URL) and need
LBCTL_FILES_KEY (the account key and the certificates' keys are stored encrypted). The
server renews on its own schedule; these commands run a renewal now, or show where each
certificate stands.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from .. import store
from ..usecases import acme as acme_usecase
from ..web.config import WebSettings
from .group import EXISTING_FILE, main
from .output import fail, user_errors
from .server_commands import cli_actor


@main.group()
def acme() -> None:
    """ACME certificates of the stored environment: renew now, or show their state."""


def _settings(environment: str | None, inventory: Path | None) -> WebSettings:
    overrides: dict[str, object] = {}
    if environment:
        overrides["environment"] = environment
    if inventory:
        overrides["inventory"] = inventory
    try:
        return WebSettings.from_environ(**overrides)
    except ValueError as exc:  # a malformed LBCTL_* setting
        fail(str(exc))
        raise  # fail() exits; this line only tells the type checker so


@acme.command()
@click.argument("names", nargs=-1)
@click.option("--environment", "-e", help="Environment (default: $LBCTL_ENVIRONMENT).")
@click.option(
    "-i", "--inventory", type=EXISTING_FILE, help="Inventory (default: $LBCTL_INVENTORY)."
)
@click.option("--force", is_flag=True, help="Order even when not due, ignoring the backoff.")
@click.option(
    "--ca-bundle",
    type=EXISTING_FILE,
    help="CA file that verifies the ACME server's TLS (a private or test ACME server).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as JSON.")
def renew(
    names: tuple[str, ...],
    environment: str | None,
    inventory: Path | None,
    force: bool,
    ca_bundle: Path | None,
    as_json: bool,
) -> None:
    """Order every due ACME certificate (or each NAME) and serve it; exit 1 if one failed."""
    settings = _settings(environment, inventory)
    engine = store.make_engine(settings.database_url)
    try:
        store.upgrade(engine)
        sessions = store.session_factory(engine)
        with user_errors():
            try:
                outcomes = acme_usecase.renew_certificates(
                    sessions,
                    settings.environment,
                    settings.inventory,
                    cli_actor(),
                    names=list(names) or None,
                    force=force,
                    ca_bundle=str(ca_bundle) if ca_bundle else None,
                )
            except store.StoreError as exc:
                fail(str(exc))
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([o.as_dict() for o in outcomes], indent=2))
    else:
        if not outcomes:
            click.echo(f"{settings.environment} has no ACME certificates")
        for outcome in outcomes:
            flag = " (renewal failing)" if outcome.failing else ""
            click.echo(f"{outcome.name}: {outcome.status}{flag}: {outcome.message}")
    if any(o.status == "failed" for o in outcomes):
        raise SystemExit(1)


@acme.command()
@click.option("--environment", "-e", help="Environment (default: $LBCTL_ENVIRONMENT).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def status(environment: str | None, as_json: bool) -> None:
    """Show each ACME certificate: not-after, when it renews, failures in a row, last error."""
    settings = _settings(environment, None)
    engine = store.make_engine(settings.database_url)
    try:
        store.upgrade(engine)
        with user_errors(), store.session_factory(engine)() as session:
            rows = acme_usecase.acme_status(session, settings.environment, datetime.now(UTC))
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"{settings.environment} has no ACME certificates")
    for row in rows:
        line = f"{row['name']}: {', '.join(row['domains'])}; "
        line += f"valid until {row['not_after'] or '-'}, renews {row['renews_at'] or 'now'}"
        if row["failures"]:
            line += f"; {row['failures']} failures in a row: {row['last_error']}"
        click.echo(line)
