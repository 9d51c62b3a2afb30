"""`lbctl import`: an existing pair's haproxy.cfg and keepalived.conf, as a model file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..usecases.config_import import ImportRefused, import_dir, import_from_hosts
from .group import EXISTING_FILE, main


def _host_options(values: tuple[str, ...]) -> dict[str, str]:
    hosts = {}
    for value in values:
        name, sep, address = value.partition("=")
        if not sep or not name or not address:
            raise click.BadParameter(f"{value!r}: write NAME=ADDRESS or NAME=ADDRESS@INTERFACE")
        hosts[name] = address
    return hosts


@main.command("import")
@click.argument(
    "directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "-i", "--inventory", type=EXISTING_FILE, help="Read the configs from these hosts over SSH."
)
@click.option(
    "--limit", multiple=True, help="Only these inventory hosts (repeat or comma-separate)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the model here (and the files it declares under files/ beside it); else stdout.",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="NAME=ADDRESS[@INTERFACE]",
    help="A host's address and interface when keepalived.conf does not say them.",
)
@click.option(
    "--skip-binary-check",
    is_flag=True,
    help="Do not prove the originals with haproxy -c / keepalived -t first.",
)
def import_command(
    directory: Path | None,
    inventory: Path | None,
    limit: tuple[str, ...],
    output: Path | None,
    hosts: tuple[str, ...],
    skip_binary_check: bool,
) -> None:
    """Turn DIR/<host>/haproxy.cfg + keepalived.conf (or what -i's hosts run) into a model.

    Files the configs name are read from DIR/<host>/files/<path> (or fetched from the
    hosts). The report goes to stderr: counts, then one line per directive that is not
    modelled natively. Exit 0 everything carried over, 1 something dropped or changed in
    meaning, 2 not imported.
    """
    if (directory is None) == (inventory is None):
        raise click.UsageError("give DIR or -i INVENTORY (one of them)")
    limits = [h for value in limit for h in value.split(",") if h] or None
    try:
        if inventory is not None:
            result = import_from_hosts(inventory, limits, _host_options(hosts))
        else:
            assert directory is not None
            result = import_dir(directory, _host_options(hosts), not skip_binary_check)
    except ImportRefused as exc:
        click.secho(f"error: cannot import: {exc}", err=True, fg="red", bold=True)
        sys.exit(2)
    for line in result.report.lines():
        click.echo(line, err=True)
    if output is not None:
        written = result.write(output)
        click.echo(f"wrote {output} and {len(written) - 1} declared files beside it", err=True)
    else:
        if result.files:
            click.echo(
                f"note: {len(result.files)} declared files are not written without -o FILE",
                err=True,
            )
        click.echo(result.yaml_text, nl=False)
    sys.exit(result.exit_status)
