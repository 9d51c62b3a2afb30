"""Model commands: validate, render, diff (against a folder or the hosts), schema, init."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..diff import has_changes
from ..usecases import files
from .group import EXISTING_FILE, inventory_option, main
from .one_shot import without_gc_pauses
from .output import fail, print_diffs, print_preview, print_warnings, progress, user_errors


@main.command()
@click.argument("file", type=EXISTING_FILE)
def validate(file: Path) -> None:
    """Check a model file. Exit 0 valid, 1 invalid (every error on stderr)."""
    with user_errors(), without_gc_pauses():
        loaded, _ = files.validate_file(file)
    print_warnings(loaded.warnings)
    m = loaded.model
    click.echo(
        f"{file}: valid ({len(m.lb_hosts)} lb hosts, {len(m.vip_pairs)} vip pairs, "
        f"{len(m.pools)} pools, {sum(len(p.servers) for p in m.pools)} servers, "
        f"{len(m.frontends)} frontends)"
    )


_skip_check = click.option(
    "--skip-binary-check",
    is_flag=True,
    help="Do not prove the files with haproxy -c / keepalived -t (when they are not installed).",
)


@main.command()
@click.argument("file", type=EXISTING_FILE)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write <host>/haproxy.cfg and <host>/keepalived.conf into.",
)
@_skip_check
def render(file: Path, out_dir: Path, skip_binary_check: bool) -> None:
    """Render and prove every host's files into OUT: all of them, or none on any error."""
    with user_errors(), without_gc_pauses():
        result = files.render_file(file, not skip_binary_check, progress)
        written = files.write_rendered(result.rendered, out_dir)
    print_warnings(result.warnings)
    for check in result.report.checks if result.report else []:
        for warning in check.warnings:
            click.secho(f"warning: {check.host}/{check.file}: {warning}", err=True, fg="yellow")
        if check.substituted:
            progress(
                f"{check.host}/{check.file}: {', '.join(check.substituted)}: checked with a "
                "stand-in here (certificates, DNS names and track scripts are proven on the "
                "host by deploy)"
            )
    proof = "proven by haproxy -c and keepalived -t" if result.report else "NOT binary-checked"
    click.echo(
        f"wrote {len(written)} files for {len(result.rendered.hosts)} hosts to {out_dir} "
        f"({proof}; model sha256:{result.rendered.model_hash[:12]})"
    )


@main.command()
@click.argument("file", type=EXISTING_FILE)
@click.option(
    "--against",
    "against",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder laid out like `lbctl render --out` (e.g. the last rendering).",
)
@inventory_option(required=False, help_extra=" Diff against the files the hosts run.")
@click.option("--limit", multiple=True, help="Only this host (repeatable; with -i).")
@click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True
)
@_skip_check
def diff(
    file: Path,
    against: Path | None,
    inventory: Path | None,
    limit: tuple[str, ...],
    color: str,
    skip_binary_check: bool,
) -> None:
    """Show what would change, against a folder or the hosts' live files.

    Exit 0 no changes, 1 changes, 2 error (including a host that cannot be reached).
    """
    if (against is None) == (inventory is None):
        fail("give exactly one of --against DIR or -i INVENTORY", 2)
    use_color = {"always": True, "never": False}.get(color)
    with user_errors(failure_code=2):
        if inventory is not None:
            preview = files.diff_hosts(file, inventory, list(limit) or None, progress=progress)
            print_preview(preview, use_color)
            sys.exit(1 if has_changes(preview.diffs) else 0)
        assert against is not None  # exactly one of the two, checked above
        result = files.render_file(file, not skip_binary_check)
        diffs = files.diff_against_dir(result.rendered, against)
    print_warnings(result.warnings)
    print_diffs(diffs, use_color)
    sys.exit(1 if has_changes(diffs) else 0)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the model file format."""
    click.echo(json.dumps(files.model_schema(), indent=2))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Write an example environment (lb.yaml + hosts.yml) into DIRECTORY."""
    with user_errors():
        written = files.init_environment(directory)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: lbctl validate {directory}/lb.yaml")
