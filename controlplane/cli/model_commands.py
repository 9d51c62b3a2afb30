"""Model commands: validate, render, diff (against a folder or the hosts), schema, init."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..diff import has_changes
from ..usecases import files, result_cache
from .group import EXISTING_FILE, inventory_option, main
from .one_shot import without_gc_pauses
from .output import fail, print_diffs, print_preview, print_warnings, progress, user_errors

_no_cache = click.option(
    "--no-cache",
    is_flag=True,
    help="Compute the result afresh: neither read nor store the result cache [LBCTL_CACHE=0].",
)


@main.command()
@click.argument("file", type=EXISTING_FILE)
@_no_cache
def validate(file: Path, no_cache: bool) -> None:
    """Check a model file. Exit 0 valid, 1 invalid (every error on stderr).

    A valid result is kept in the result cache (see `lbctl render --help`).
    """
    with user_errors(), without_gc_pauses():
        found = result_cache.validate_file_cached(file, result_cache.enabled(no_cache))
    print_warnings(found.warnings)
    click.echo(
        f"{file}: valid ({found.lb_hosts} lb hosts, {found.vip_pairs} vip pairs, "
        f"{found.pools} pools, {found.servers} servers, {found.frontends} frontends)"
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
@_no_cache
def render(file: Path, out_dir: Path, skip_binary_check: bool, no_cache: bool) -> None:
    """Render and prove every host's files into OUT: all of them, or none on any error.

    The rendered files and the warnings are kept in a result cache
    ($XDG_CACHE_HOME/lbctl, else ~/.cache/lbctl; owner-only) under the sha256 of the model
    file, the files it declares, lbctl's code and templates: the same inputs again write
    the same files without validating and rendering them again. The binary check still
    runs on every render unless skipped.
    """
    with user_errors(), without_gc_pauses():
        rendering = result_cache.render_file_cached(
            file, not skip_binary_check, progress, result_cache.enabled(no_cache)
        )
        written = files.write_rendered(rendering, out_dir)
    print_warnings(rendering.warnings)
    for check in rendering.report.checks if rendering.report else []:
        for warning in check.warnings:
            click.secho(f"warning: {check.host}/{check.file}: {warning}", err=True, fg="yellow")
        if check.substituted:
            progress(
                f"{check.host}/{check.file}: {', '.join(check.substituted)}: checked with a "
                "stand-in here (certificates, DNS names and track scripts are proven on the "
                "host by deploy)"
            )
    proof = "proven by haproxy -c and keepalived -t" if rendering.report else "NOT binary-checked"
    click.echo(
        f"wrote {len(written)} files for {len(rendering.hosts)} hosts to {out_dir} "
        f"({proof}; model sha256:{rendering.model_hash[:12]})"
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
