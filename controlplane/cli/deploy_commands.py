"""Commands that reach the LB hosts: deploy and status."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..usecases import files
from .group import EXISTING_FILE, inventory_option, main
from .output import fail, print_preview, progress, user_errors

if TYPE_CHECKING:
    from ..deploy import DeployEvent, DeployResult
    from ..observe import EnvironmentStatus, HostStatus


_MARKS = {"failed": "FAILED", "unreachable": "UNREACHABLE", "changed": "changed"}


def show_event(event: DeployEvent) -> None:
    """Print one Ansible event as a progress line: host, outcome, task (and why it failed)."""
    if event.kind == "task" or (event.kind in ("ok", "skipped") and not event.message):
        return
    mark = _MARKS.get(event.kind, event.kind)
    detail = f": {event.message}" if event.message and event.kind != "ok" else ""
    progress(f"{event.host:10} {mark:11} {event.task}{detail}")


@main.command()
@click.argument("file", type=EXISTING_FILE)
@inventory_option()
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
    from ..deploy import DeployLocked

    hosts = list(limit) or None
    with user_errors():
        if check:
            print_preview(files.diff_hosts(file, inventory, hosts, show_event, progress))
            return
        try:
            outcome = files.deploy_file(file, inventory, hosts, show_event, progress, wait_s)
        except DeployLocked as exc:
            fail(str(exc))
    _print_deploy(outcome)
    if not outcome.ok:
        sys.exit(1)


def _print_deploy(outcome: DeployResult) -> None:
    for host in outcome.hosts:
        line = f"{host.host:10} {host.status:12} {host.seconds:6.1f}s"
        if host.failed_step:
            # lbctl's modules start their message with the step: say it once.
            error = host.error.removeprefix(f"{host.failed_step}: ")
            line += f"  step: {host.failed_step}: {error}"
        elif host.error:
            line += f"  {host.error}"
        click.echo(line)
    if outcome.ok:
        return
    statuses = {h.status for h in outcome.hosts}
    # A host reported unreachable at a step was reached before: the connection broke mid-run.
    lost = next((h for h in outcome.hosts if h.status == "unreachable" and h.failed_step), None)
    if lost:
        message = (
            f"deploy failed: the connection to {lost.host} was lost during '{lost.failed_step}';"
            f" {lost.host} may run the old or the new configuration (deploy again: it"
            " converges); later hosts were not touched"
        )
    elif "unreachable" in statuses and "changed" not in statuses:
        message = "deploy refused: a host cannot be reached; nothing was changed on any host"
    elif "rolled back" in statuses:
        message = "deploy failed: the failing host was rolled back; later hosts were not touched"
    else:
        message = "deploy failed: hosts after the failure were not touched"
    click.secho(message, err=True, fg="red", bold=True)


@main.command()
@inventory_option()
@click.option("--limit", multiple=True, help="Only this host (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(inventory: Path, limit: tuple[str, ...], as_json: bool) -> None:
    """Show every LB host's live state: HAProxy, VRRP state per instance, backend servers.

    Exit 0 healthy, 1 when something is critical (host unreachable, split brain, no MASTER,
    a server DOWN), 2 error.
    """
    with user_errors(failure_code=2):
        result = files.environment_status(inventory, list(limit) or None)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        _print_status(result)
    sys.exit(1 if result.critical else 0)


def _print_status(result: EnvironmentStatus) -> None:
    for host in result.hosts:
        _print_host(host)
    for finding in result.findings:
        colour = "red" if finding.severity == "critical" else "yellow"
        click.secho(f"{finding.severity}: {finding.subject}: {finding.message}", fg=colour)
    if not result.findings:
        click.secho("healthy: every host answers, one MASTER per VRRP instance", fg="green")


def _print_host(host: HostStatus) -> None:
    if not host.reachable:
        click.secho(f"{host.host}: UNREACHABLE ({host.error})", fg="red", bold=True)
        return
    haproxy = (
        f"haproxy up (worker {host.haproxy_pid}, up {_duration(host.haproxy_uptime_s)})"
        if host.haproxy_up
        else "haproxy DOWN"
    )
    keepalived = "keepalived up" if host.keepalived_up else "keepalived DOWN"
    click.secho(f"{host.host}: {haproxy}, {keepalived}", bold=True)
    for vrrp in host.vrrp:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(vrrp.since))
        click.echo(f"  vrrp {vrrp.instance:16} {vrrp.state:7} since {since}  prio {vrrp.priority}")
    for server in host.servers:
        role = " backup" if server.backup else ""
        click.echo(
            f"  {server.pool + '/' + server.server:28} {server.status:9} weight {server.weight:<4}"
            f" {server.check}{role}"
        )


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
