"""The `lbctl` command line: parse arguments, call `service`, print. No business rules here."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__, service
from .diff import FileDiff, has_changes
from .errors import CheckFailed, FieldError, ModelInvalid, ToolMissing

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _err(message: str) -> None:
    click.echo(message, err=True)


def _progress(message: str) -> None:
    click.secho(f"  {message}", err=True, dim=True)


def _print_warnings(warnings: list[FieldError]) -> None:
    for warning in warnings:
        click.secho(f"warning: {warning}", err=True, fg="yellow")


@contextmanager
def _user_errors(failure_code: int = 1) -> Iterator[None]:
    """Turn the core's structured errors into readable text and an exit code."""
    try:
        yield
    except ModelInvalid as exc:
        click.secho(f"error: {exc}:", err=True, fg="red", bold=True)
        for error in exc.errors:
            _err(f"  {error}")
        sys.exit(failure_code)
    except CheckFailed as exc:
        click.secho(
            f"error: {exc.host}/{exc.file} was rejected by {exc.tool}:",
            err=True,
            fg="red",
            bold=True,
        )
        for line in exc.output.splitlines():
            _err(f"  {line}")
        _err("nothing was written.")
        sys.exit(failure_code)
    except (ToolMissing, FileExistsError, FileNotFoundError, NotADirectoryError) as exc:
        click.secho(f"error: {exc}", err=True, fg="red", bold=True)
        sys.exit(failure_code)
    except OSError as exc:
        click.secho(f"error: {exc.filename or ''}: {exc.strerror}", err=True, fg="red", bold=True)
        sys.exit(failure_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lbctl")
def main() -> None:
    """lbctl: HAProxy + Keepalived configuration for load-balancer pairs.

    The flow is one way: validate the model, render per-host files (proven by the
    real haproxy -c and keepalived -t), diff them, then deploy.
    """


@main.command()
@click.argument("file", type=EXISTING_FILE)
def validate(file: Path) -> None:
    """Check a model file. Exit 0 valid, 1 invalid (every error on stderr)."""
    with _user_errors():
        loaded = service.validate_file(file)
    _print_warnings(loaded.warnings)
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
    with _user_errors():
        result = service.render_file(file, not skip_binary_check, _progress)
        written = service.write_rendered(result.rendered, out_dir)
    _print_warnings(result.warnings)
    for check in result.report.checks if result.report else []:
        for warning in check.warnings:
            click.secho(f"warning: {check.host}/{check.file}: {warning}", err=True, fg="yellow")
        if check.substituted:
            _progress(
                f"{check.host}/{check.file}: {', '.join(check.substituted)}: checked with a "
                "stand-in here (certificates and DNS names are proven on the host by deploy)"
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
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder laid out like `lbctl render --out` (e.g. the last rendering).",
)
@click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True
)
@_skip_check
def diff(file: Path, against: Path, color: str, skip_binary_check: bool) -> None:
    """Show what would change against AGAINST. Exit 0 no changes, 1 changes, 2 error."""
    with _user_errors(failure_code=2):
        result = service.render_file(file, not skip_binary_check)
        diffs = service.diff_against_dir(result.rendered, against)
    _print_warnings(result.warnings)
    use_color = {"always": True, "never": False}.get(color)
    _print_diffs(diffs, use_color)
    sys.exit(1 if has_changes(diffs) else 0)


def _print_diffs(diffs: list[FileDiff], color: bool | None) -> None:
    for d in diffs:
        if d.status == "unchanged":
            continue
        for line in d.lines:
            click.echo(_colour_line(line), color=color)
    changed = [f"{d.host}/{d.file} ({d.status})" for d in diffs if d.status != "unchanged"]
    summary = f"{len(changed)} file(s) differ: " + ", ".join(changed) if changed else "no changes"
    _err(summary)


def _colour_line(line: str) -> str:
    styles: list[tuple[str, Callable[[str], str]]] = [
        ("+++", lambda s: click.style(s, bold=True)),
        ("---", lambda s: click.style(s, bold=True)),
        ("@@", lambda s: click.style(s, fg="cyan")),
        ("+", lambda s: click.style(s, fg="green")),
        ("-", lambda s: click.style(s, fg="red")),
    ]
    for prefix, style in styles:
        if line.startswith(prefix):
            return style(line)
    return line


@main.command()
@click.argument("file", type=EXISTING_FILE)
@click.option(
    "-i",
    "--inventory",
    required=True,
    type=EXISTING_FILE,
    help="Ansible inventory whose host names are the model's lb_hosts.",
)
@click.option("--limit", multiple=True, help="Deploy only this host (repeatable).")
@click.option("--check", is_flag=True, help="Show the diff against the hosts; change nothing.")
@click.option(
    "--wait",
    "wait_s",
    default=0.0,
    show_default=True,
    help="Seconds to wait for another deploy of this environment to finish.",
)
def deploy(file: Path, inventory: Path, limit: tuple[str, ...], check: bool, wait_s: float) -> None:
    """Push the rendered files to the LB hosts, BACKUP first, MASTER last.

    Exit 0 success or unchanged, 1 failed (which host, which step, what was rolled back).
    """
    from .deploy import DeployEvent, DeployLocked

    def show(event: DeployEvent) -> None:
        if event.kind == "task":
            return
        mark = {"failed": "FAILED", "unreachable": "UNREACHABLE", "changed": "changed"}.get(
            event.kind, event.kind
        )
        if event.kind in ("ok", "skipped") and not event.message:
            return
        detail = f": {event.message}" if event.message and event.kind != "ok" else ""
        _progress(f"{event.host:10} {mark:11} {event.task}{detail}")

    with _user_errors():
        try:
            diffs, outcome = service.deploy_file(
                file, inventory, list(limit) or None, check, show, _progress, wait_s
            )
        except (DeployLocked, ConnectionError) as exc:
            click.secho(f"error: {exc}", err=True, fg="red", bold=True)
            sys.exit(1)
    if check:
        _print_diffs(diffs, None)
        return
    for host in outcome.hosts:
        line = f"{host.host:10} {host.status:12} {host.seconds:6.1f}s"
        if host.failed_step:
            line += f"  step: {host.failed_step}: {host.error}"
        click.echo(line)
    if not outcome.ok:
        click.secho(
            "deploy failed: hosts after the failure were not touched", err=True, fg="red", bold=True
        )
        sys.exit(1)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the model file format."""
    click.echo(json.dumps(service.model_schema(), indent=2))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Write an example environment (lb.yaml + hosts.yml) into DIRECTORY."""
    with _user_errors():
        written = service.init_environment(directory)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: lbctl validate {directory}/lb.yaml")


def run() -> None:
    """Entry point that never shows a traceback unless LBCTL_DEBUG is set."""
    try:
        main()
    except Exception as exc:
        if os.environ.get("LBCTL_DEBUG"):
            raise
        _err(f"internal error: {type(exc).__name__}: {exc} (set LBCTL_DEBUG=1 for details)")
        sys.exit(3)
