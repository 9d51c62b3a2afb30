"""`lbctl server set`: a server's state or weight, changed live through a control plane."""

from __future__ import annotations

import sys

import click

from .group import RemoteOptions, main
from .output import fail
from .remote_commands import _client, remote_errors


@main.group("server")
def server_group() -> None:
    """Change a server without a reload (through --server's runtime API path)."""


@server_group.command("set")
@click.argument("target", metavar="POOL/SERVER")
@click.option("--state", type=click.Choice(["enabled", "drain", "maint"]), help="Admin state.")
@click.option("--weight", type=click.IntRange(0, 256), help="Weight 0-256.")
@click.pass_obj
def set_server(remote: RemoteOptions, target: str, state: str | None, weight: int | None) -> None:
    """Save the change as a new revision and apply it on both hosts of the pair, no reload.

    Exit 0 when every host applied it, 1 when a host did not (the revision is saved; the
    next deploy converges it) or the server refused, 2 on a usage error.
    """
    pool, _, server = target.partition("/")
    if not pool or not server:
        fail(f"give POOL/SERVER, e.g. app/app2 (got {target!r})", 2)
    if state is None and weight is None:
        fail("give --state, --weight or both", 2)
    with remote_errors(1):
        answer = _client(remote).set_server(pool, server, state, weight)
    click.echo(f"revision {answer['revision']}: {pool}/{server}")
    for host in answer["hosts"]:
        if host["ok"]:
            click.echo(f"  {host['host']:10} applied  {host['seconds'] * 1000:5.0f} ms")
        else:
            click.secho(f"  {host['host']:10} FAILED   {host['error']}", fg="red")
    if not answer["applied"]:
        click.secho(
            "not applied everywhere: the revision is saved; the next deploy converges the hosts",
            err=True,
            fg="red",
        )
        sys.exit(1)
