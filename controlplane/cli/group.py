"""The `lbctl` command group and the options several commands share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .. import __version__

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@dataclass(frozen=True)
class RemoteOptions:
    """The control plane `plan` and `apply` talk to (--server/--token or LBCTL_*)."""

    server: str | None
    token: str | None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lbctl")
@click.option(
    "--server",
    envvar="LBCTL_SERVER",
    metavar="URL",
    help="Control plane for plan/apply, e.g. https://lb-admin.example.com [LBCTL_SERVER].",
)
@click.option(
    "--token",
    envvar="LBCTL_TOKEN",
    metavar="TOKEN",
    help="API token for --server; prefer LBCTL_TOKEN, which stays out of process lists.",
)
@click.pass_context
def main(ctx: click.Context, server: str | None, token: str | None) -> None:
    """lbctl: HAProxy + Keepalived configuration for load-balancer pairs.

    The flow is one way: validate the model, render per-host files (proven by the
    real haproxy -c and keepalived -t), diff them, then deploy.
    """
    ctx.obj = RemoteOptions(server, token)


def inventory_option(required: bool = True, help_extra: str = "") -> Callable[[Any], Any]:
    """Return the `-i/--inventory` option: an Ansible inventory naming the model's lb_hosts."""
    return click.option(
        "-i",
        "--inventory",
        required=required,
        type=EXISTING_FILE,
        help="Ansible inventory whose host names are the model's lb_hosts." + help_extra,
    )
