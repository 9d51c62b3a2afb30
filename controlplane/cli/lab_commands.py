"""`lbctl lab`: the network-namespace lab for demos, tests and benchmarks (root only)."""

from __future__ import annotations

import json

import click

from ..paths import lab_model_file
from .group import main
from .output import fail, progress


@main.group()
def lab() -> None:
    """Real LB hosts on this machine: namespaces, sshd, HAProxy, keepalived (root only)."""


@lab.command()
@click.option("--lb-hosts", default=2, show_default=True, help="LB hosts (198.18.0.10+).")
@click.option("--backends", default=3, show_default=True, help="Backends (198.18.0.20+:8080).")
def up(lb_hosts: int, backends: int) -> None:
    """Build the lab, after removing whatever a previous lab left behind."""
    from .. import lab as lab_api

    try:
        built = lab_api.up(lb_hosts=lb_hosts, backends=backends, progress=progress)
    except lab_api.LabError as exc:
        fail(str(exc))
    for host in built.lb_hosts:
        click.echo(f"lb host  {host.name:8} {host.address}  (ssh root, haproxy, keepalived)")
    for backend in built.backends:
        click.echo(f"backend  {backend.name:8} {backend.url}")
    click.echo(f"inventory: {built.inventory_path}")
    # The shipped copy: it exists wherever lbctl is installed, not only in a checkout.
    click.echo(f"next: lbctl deploy {lab_model_file()} -i {built.inventory_path}")


@lab.command()
def down() -> None:
    """Stop every lab process (by pid) and remove its namespaces; fine to run twice."""
    from .. import lab as lab_api

    try:
        lab_api.down(progress=progress)
    except lab_api.LabError as exc:
        fail(str(exc))
    click.echo("lab is down")


@lab.command()
@click.option("--url", default="http://198.18.0.100/", show_default=True, help="A lab URL.")
@click.option("--connections", default=8, show_default=True)
@click.option("--duration", default=5.0, show_default=True, help="Seconds (bounded).")
def traffic(url: str, connections: int, duration: float) -> None:
    """Send a bounded keep-alive load from the client namespace and print the report."""
    report = _running_lab().run_load(url, connections=connections, duration=duration)
    click.echo(json.dumps(report, indent=2))


@lab.command()
@click.argument("host")
def fail_host(host: str) -> None:
    """Take HOST's link down (a failed host: its VIPs move to the peer)."""
    _running_lab().link_down(host)
    click.echo(f"{host}: link down")


@lab.command()
@click.argument("host")
def restore_host(host: str) -> None:
    """Bring HOST's link back up."""
    _running_lab().link_up(host)
    click.echo(f"{host}: link up")


def _running_lab():  # -> controlplane.lab.Lab
    from .. import lab as lab_api

    current = lab_api.current()
    if current is None:
        fail("the lab is not up; run `lbctl lab up` first")
    return current
