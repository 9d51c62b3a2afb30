"""How the CLI prints: progress on stderr, user errors as text with an exit code, diffs."""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from ..diff import FileDiff
from ..errors import CheckFailed, FieldError, HostsUnreachable, ModelInvalid, ToolMissing

if TYPE_CHECKING:
    from ..usecases.files import DeployPreview


def err(message: str) -> None:
    click.echo(message, err=True)


# Set to see the traceback of an error lbctl did not expect, instead of one line.
DEBUG_ENV = "LBCTL_DEBUG"

# What to do about the OS errors an operator can fix; the OS's own text says what went wrong.
_OS_ERROR_HINTS = {
    errno.ENOENT: "check the path",
    errno.EACCES: "check its permissions, or run as a user allowed to use it",
    errno.EPERM: "check its permissions, or run as a user allowed to use it",
    errno.EROFS: "choose a folder on a writable file system",
    errno.ENOSPC: "free some space there",
    errno.EISDIR: "give a file, not a folder",
    errno.ENOTDIR: "give a folder, not a file",
    errno.EEXIST: "remove it or choose another name",
}


def fail(message: str, code: int = 1) -> None:
    """Print `error: message` in red on stderr and exit with `code`."""
    if not message.strip():
        # A caller passed an exception without text: still say something an operator can act on.
        message = f"failed without a message; set {DEBUG_ENV}=1 and run again to see where"
    click.secho(f"error: {message}", err=True, fg="red", bold=True)
    sys.exit(code)


def os_error_text(exc: OSError) -> str:
    """Return what failed, where and what to do for an OSError, never an empty string.

    The OS's errors carry `strerror` and `filename`; errors lbctl raises (a missing shipped
    file, a folder `init` will not overwrite) carry a whole sentence as their message.
    """
    if not exc.strerror:
        return str(exc).strip() or unexpected_error_text(exc)
    where = " -> ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
    text = f"{where}: {exc.strerror}" if where else exc.strerror
    hint = _OS_ERROR_HINTS.get(exc.errno or 0)
    return f"{text}; {hint}" if hint else text


def unexpected_error_text(exc: BaseException, command: str | None = None) -> str:
    """Return one line naming an error lbctl did not expect, and how to see more."""
    lines = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    if len(lines) > 1:
        detail += " ..."
    what = f"lbctl {command} failed" if command else "lbctl failed"
    return f"{what} unexpectedly: {detail} (set {DEBUG_ENV}=1 and run again for the traceback)"


def progress(message: str) -> None:
    click.secho(f"  {message}", err=True, dim=True)


def print_warnings(warnings: Sequence[FieldError | str]) -> None:
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
    except ToolMissing as exc:
        fail(str(exc), failure_code)
    except OSError as exc:
        fail(os_error_text(exc), failure_code)


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


def print_preview(preview: DeployPreview, color: bool | None = None) -> None:
    """Print the diffs, then each change with the path it takes and the VIPs it may move."""
    print_diffs(preview.diffs, color)
    if preview.changes:
        err("plan:")
    for change in preview.changes:
        colour = {"runtime": "green", "reload": "cyan"}.get(change.path, "yellow")
        path = click.style(change.path, fg=colour)
        err(f"  {change.host:10} {change.file:16} {path:>20}  {change.what}")
    for line in preview.vip_moves:
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
