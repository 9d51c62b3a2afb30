"""The `lbctl` command group and the options several commands share."""

from __future__ import annotations

import importlib
import os
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


# Which module registers each command. A command's module is imported only when that command
# runs (or --help lists them all): `lbctl validate` need not load SQLAlchemy, Flask, requests.
COMMAND_MODULES = {
    "validate": "model_commands",
    "render": "model_commands",
    "diff": "model_commands",
    "schema": "model_commands",
    "init": "model_commands",
    "deploy": "deploy_commands",
    "status": "deploy_commands",
    "drift": "ops_commands",
    "switchover": "ops_commands",
    "drill": "ops_commands",
    "lab": "lab_commands",
    "demo": "demo_commands",
    "plan": "remote_commands",
    "apply": "remote_commands",
    "server": "runtime_commands",
    "serve": "server_commands",
    "store": "server_commands",
    "user": "server_commands",
    "token": "server_commands",
    "cert": "cert_commands",
    "file": "cert_commands",
    "acme": "acme_commands",
    "import": "import_commands",
}


class LazyGroup(click.Group):
    """A group whose commands register themselves when their module is first imported."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if cmd_name not in self.commands and module is not None:
            importlib.import_module(f"{__package__}.{module}")
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an error no command expected becomes one line and exit code 3."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own: usage errors, exits, aborts
        except Exception as exc:
            from .output import DEBUG_ENV, unexpected_error_text

            if os.environ.get(DEBUG_ENV):
                raise
            text = unexpected_error_text(exc, ctx.invoked_subcommand)
            click.secho(f"error: {text}", err=True, fg="red", bold=True)
            ctx.exit(3)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
