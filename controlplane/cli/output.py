"""How the CLI prints: progress on stderr, user errors as text with an exit code, diffs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from ..diff import FileDiff
from ..errors import CheckFailed, FieldError, HostsUnreachable, ModelInvalid, ToolMissing
from ..service import HostsPlan


def err(message: str) -> None:
    click.echo(message, err=True)


def fail(message: str, code: int = 1) -> None:
    """Print `error: message` in red on stderr and exit with `code`."""
    click.secho(f"error: {message}", err=True, fg="red", bold=True)
    sys.exit(code)


def progress(message: str) -> None:
    click.secho(f"  {message}", err=True, dim=True)


def print_warnings(warnings: list[FieldError]) -> None:
    for warning in warnings:
        click.secho(f"warning: {warning}", err=True, fg="yellow")


@contextmanager
def user_errors(failure_code: int = 1) -> Iterator[None]:
    """Turn the core's structured errors into readable text and an exit code."""
    try:
        yield
    except ModelInvalid as exc:
        click.secho(f"error: {exc}:", err=True, fg="red", bold=True)
        for error in exc.errors:
            err(f"  {error}")
        sys.exit(failure_code)
    except CheckFailed as exc:
        click.secho(
            f"error: {exc.host}/{exc.file} was rejected by {exc.tool}:",
            err=True,
            fg="red",
            bold=True,
        )
        for line in exc.output.splitlines():
            err(f"  {line}")
        err("nothing was written.")
        sys.exit(failure_code)
    except HostsUnreachable as exc:
        click.secho("error: cannot reach every host; nothing was changed:", err=True, fg="red")
        for host, reason in sorted(exc.errors.items()):
            err(f"  {host}: {reason}")
        sys.exit(failure_code)
    except (ToolMissing, FileExistsError, FileNotFoundError, NotADirectoryError) as exc:
        fail(str(exc), failure_code)
    except OSError as exc:
        fail(f"{exc.filename or ''}: {exc.strerror}", failure_code)


def print_diffs(diffs: list[FileDiff], color: bool | None) -> None:
    """Print every changed file's unified diff on stdout and a summary on stderr."""
    for d in diffs:
        if d.status == "unchanged":
            continue
        for line in d.lines:
            click.echo(_colour_line(line), color=color)
    changed = [f"{d.host}/{d.file} ({d.status})" for d in diffs if d.status != "unchanged"]
    summary = f"{len(changed)} file(s) differ: " + ", ".join(changed) if changed else "no changes"
    err(summary)


def print_plan(plan: HostsPlan, color: bool | None = None) -> None:
    """Print the diffs, then each change with the path it takes and the VIPs it may move."""
    print_diffs(plan.diffs, color)
    if plan.changes:
        err("plan:")
    for change in plan.changes:
        colour = {"runtime": "green", "reload": "cyan"}.get(change.path, "yellow")
        path = click.style(change.path, fg=colour)
        err(f"  {change.host:10} {change.file:16} {path:>20}  {change.what}")
    for line in plan.vip_moves:
        click.secho(f"may move a VIP: {line}", err=True, fg="yellow")


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
