"""Commands for CI against a control plane: plan and apply a model file over /api/v1."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..diff import FileDiff
from ..model import parse_document
from ..remote import RemoteClient, RemoteError
from .group import EXISTING_FILE, RemoteOptions, main
from .output import err, fail, print_diffs, progress, user_errors

FINAL_STATES = ("succeeded", "failed", "interrupted")
_MARKS = {"failed": "FAILED", "unreachable": "UNREACHABLE", "changed": "changed"}


@main.command()
@click.argument("file", type=EXISTING_FILE)
@click.pass_obj
def plan(remote: RemoteOptions, file: Path) -> None:
    """Diff FILE against the server's current and deployed revision (needs --server).

    Exit 0 when saving FILE would change nothing, 1 when it would, 2 on any error
    (an invalid model prints every field error).
    """
    client, document = _client(remote), _read(file)
    with remote_errors(2):
        found = client.plan(document)
    _print_plan(found)
    sys.exit(1 if found["against_current"]["changed"] else 0)


@main.command()
@click.argument("file", type=EXISTING_FILE)
@click.option("--deploy", is_flag=True, help="Then deploy the new revision and follow it.")
@click.option("-m", "--message", default="", help="Revision message (default: names FILE).")
@click.option(
    "--timeout",
    "timeout_s",
    default=1800.0,
    show_default=True,
    help="Seconds to follow a deploy before giving up on it (it keeps running).",
)
@click.pass_obj
def apply(remote: RemoteOptions, file: Path, deploy: bool, message: str, timeout_s: float) -> None:
    """Save FILE as the server's new revision, and with --deploy roll it out (needs --server).

    The revision is based on the one the plan was made against: when someone else saved
    in between, nothing is written and the exit code is 1. Any failure exits non-zero.
    """
    client, document = _client(remote), _read(file)
    with remote_errors(1):
        found = client.plan(document)
        base = found["revision"]
        if found["against_current"]["changed"] or base is None:
            saved = client.save_model(document, base, message or f"lbctl apply {file.name}")
            revision = saved["revision"]
            click.echo(f"saved revision {revision} (based on {base}, sha256:{saved['hash'][:12]})")
        else:
            revision = base
            click.echo(f"no change: revision {revision} stays current")
    if not deploy:
        return
    if not found["against_current"]["changed"] and revision == found["deployed_revision"]:
        click.echo(f"the hosts already run revision {revision}; nothing to deploy")
        return
    with remote_errors(1):
        started = client.start_deploy(revision)
        click.echo(f"deployment {started['id']} of revision {revision} started")
        final = _follow(client, started["id"], timeout_s)
    _print_deployment(final)
    if final["state"] != "succeeded":
        sys.exit(1)


def _client(remote: RemoteOptions) -> RemoteClient:
    if not remote.server or not remote.token:
        fail(
            "plan and apply talk to a control plane: give --server and --token "
            "(or LBCTL_SERVER and LBCTL_TOKEN)",
            2,
        )
    return RemoteClient(str(remote.server), str(remote.token))


def _read(file: Path) -> dict[str, Any]:
    with user_errors(2):
        document = parse_document(file.read_bytes(), str(file))
    return document


@contextmanager
def remote_errors(code: int) -> Iterator[None]:
    """Turn the server's refusals into readable text and exit `code`."""
    try:
        yield
    except RemoteError as exc:
        click.secho(f"error: {_explain(exc)}", err=True, fg="red", bold=True)
        for detail in exc.details:
            if detail.path != "base_revision":  # the 409 message already says it
                err(f"  {detail}")
        sys.exit(code)


def _explain(exc: RemoteError) -> str:
    if exc.status == 401:
        return f"{exc.message}: the token is unknown, revoked or its user disabled"
    if exc.status == 409:
        return f"someone saved a new revision meanwhile; nothing was written. {exc.message}"
    return str(exc)


def _print_plan(found: dict[str, Any]) -> None:
    for warning in found.get("warnings", []):
        click.secho(f"warning: {warning['path']}: {warning['message']}", err=True, fg="yellow")
    current = found["revision"]
    err(f"against the server's current revision {current}:" if current else "no revision yet:")
    print_diffs(_diffs(found["against_current"]), None)
    deployed = found["deployed_revision"]
    changed = [
        f"{f['host']}/{f['file']}"
        for f in found["against_deployed"]["files"]
        if f["status"] != "unchanged"
    ]
    where = f"deployed revision {deployed}" if deployed else "the hosts (nothing deployed yet)"
    err(f"against {where}: " + (", ".join(changed) + " would change" if changed else "no changes"))
    if found.get("proof"):  # "proved by section: 3 sections", "proved in full"
        err(f"haproxy -c: {found['proof']}")


def _diffs(report: dict[str, Any]) -> list[FileDiff]:
    return [FileDiff(f["host"], f["file"], f["status"], f["lines"]) for f in report["files"]]


def _follow(client: RemoteClient, deployment_id: int, timeout_s: float) -> dict[str, Any]:
    """Return the deployment once final, printing its events as they come."""
    deadline, seen = time.monotonic() + timeout_s, 0
    while True:
        found = client.deployment(deployment_id, after=seen)
        for event in found["events"]:
            seen = max(seen, event["seq"])
            _print_event(event)
        if found["state"] in FINAL_STATES:
            return found
        if time.monotonic() >= deadline:
            fail(
                f"deployment {deployment_id} is still {found['state']} after {timeout_s:g}s; "
                f"follow it at {client.base}/deployments/{deployment_id}"
            )
        time.sleep(1.0)


def _print_event(event: dict[str, Any]) -> None:
    kind = event["kind"]
    if kind == "task" or (kind in ("ok", "skipped") and not event["message"]):
        return
    detail = f": {event['message']}" if event["message"] and kind != "ok" else ""
    progress(f"{event['host'] or '-':10} {_MARKS.get(kind, kind):11} {event['task']}{detail}")


def _print_deployment(found: dict[str, Any]) -> None:
    for host in found["hosts"]:
        why = f" at {host['failed_step']}: {host['error']}" if host.get("error") else ""
        click.echo(f"  {host['host']:10} {host['status']}{why}")
    colour = "green" if found["state"] == "succeeded" else "red"
    click.secho(
        f"deployment {found['id']} of revision {found['revision']}: {found['state']}", fg=colour
    )
