"""Operations on running pairs: drift, planned switchover, failover drill."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..usecases import files
from .group import EXISTING_FILE, inventory_option, main
from .output import fail, progress, user_errors

if TYPE_CHECKING:
    from ..observe.drift import DriftReport
    from ..observe.drill import DrillReport

DEFAULT_MODEL_NAME = "lb.yaml"


@main.command()
@click.argument("file", type=EXISTING_FILE, required=False)
@inventory_option()
@click.option("--limit", multiple=True, help="Only this host (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def drift(file: Path | None, inventory: Path, limit: tuple[str, ...], as_json: bool) -> None:
    """List every way the hosts differ from the model FILE: files and runtime state.

    FILE defaults to lb.yaml beside the inventory (the layout `lbctl init` writes).
    Exit 0 no drift, 1 drift, 2 error.
    """
    file = file or _model_beside(inventory)
    with user_errors(failure_code=2):
        report = files.drift_file(file, inventory, list(limit) or None)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        print_drift(report)
    sys.exit(1 if report.drifted else 0)


def _model_beside(inventory: Path) -> Path:
    candidate = inventory.resolve().parent / DEFAULT_MODEL_NAME
    if not candidate.is_file():
        fail(f"no {candidate}: give the model FILE the hosts should run", 2)
    return candidate


def print_drift(report: DriftReport) -> None:
    if not report.drifted:
        click.secho(
            f"no drift: {', '.join(report.hosts)} run model {report.model_hash[:12]}", fg="green"
        )
        return
    for d in report.differences:
        click.secho(
            f"{d.host:8} {d.kind:15} {d.subject}: expected {d.expected}, found {d.actual}",
            fg="red",
        )
        for line in d.diff:
            click.echo(f"{'':9}{line}")
    click.secho(
        f"drift: {len(report.differences)} difference(s) from model {report.model_hash[:12]}",
        err=True,
        fg="red",
        bold=True,
    )


@main.command()
@click.argument("pair")
@inventory_option()
@click.option("--back", is_flag=True, help="Undrain the drained host and give it its VIPs back.")
@click.option("--from", "source", metavar="HOST", help="Drain this host (default: the MASTER).")
@click.option("--timeout", "timeout_s", default=30.0, show_default=True, help="Seconds to wait.")
def switchover(
    pair: str, inventory: Path, back: bool, source: str | None, timeout_s: float
) -> None:
    """Move PAIR's VIPs to the other host for maintenance, without a restart; --back returns.

    The MASTER is drained (its switchover file holds 1) and stays drained until --back.
    Exit 0 done, 1 refused or not confirmed in time.
    """
    from ..deploy.switchover import SwitchoverError

    try:
        if back:
            result = files.switch_pair_back(inventory, pair, timeout_s, progress)
            click.echo(f"{pair}: VIPs back on {result.target} in {result.seconds:.1f} s")
        else:
            result = files.switch_pair(inventory, pair, source, timeout_s, progress)
            click.echo(
                f"{pair}: VIPs moved {result.source} -> {result.target} in {result.seconds:.1f} s;"
                f" {result.source} stays drained (`lbctl switchover {pair} -i ... --back`)"
            )
    except SwitchoverError as exc:
        fail(str(exc))


@main.group()
def drill() -> None:
    """Drills that prove the failover works, with figures."""


@drill.command()
@click.argument("pair")
@inventory_option()
@click.option("--lab", "use_lab", is_flag=True, help="Probe from the lab's client namespace.")
@click.option("--probe-url", metavar="URL", help="http:// URL through the VIP to probe.")
@click.option("--hold", "hold_s", default=2.0, show_default=True, help="Seconds on the peer.")
@click.option("--timeout", "timeout_s", default=30.0, show_default=True, help="Seconds per move.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def failover(
    pair: str,
    inventory: Path,
    use_lab: bool,
    probe_url: str | None,
    hold_s: float,
    timeout_s: float,
    as_json: bool,
) -> None:
    """Move PAIR's VIPs off the MASTER while probing them, then back; print the outage.

    Probes from here with --probe-url, or from the lab's client with --lab.
    Exit 0 moved and restored, 1 the VIPs never moved or the master was not restored.
    """
    if not use_lab and not probe_url:
        fail("give --probe-url URL (probed from this machine) or --lab", 2)
    try:
        probe = files.drill_probe(inventory, pair, probe_url, use_lab)
    except (ValueError, RuntimeError) as exc:
        fail(str(exc), 2)
    report = files.drill_pair(inventory, pair, probe, hold_s, timeout_s, progress)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        print_drill(report)
    sys.exit(0 if report.ok else 1)


def print_drill(report: DrillReport) -> None:
    p = report.probe
    route = f"{report.original_master} -> {report.new_master or '?'} -> " + (
        report.original_master if report.restored else "?"
    )
    rows = [
        ("route", route),
        (
            "client-visible outage (max gap)",
            f"{p.get('max_outage_s', 0):.3f} s in {p.get('outage_windows_total', 0)} window(s)"
            if p
            else "no probe report",
        ),
        ("probes", f"{p.get('requests', 0)} sent, {p.get('failed', 0)} failed" if p else "-"),
        ("time to new MASTER", _seconds(report.seconds_to_new_master)),
        ("time to restore", _seconds(report.seconds_to_restore)),
        ("result", "ok" if report.ok else f"FAILED: {report.error or 'not restored'}"),
    ]
    click.secho(f"failover drill {report.pair}", bold=True)
    for label, value in rows:
        click.echo(f"  {label:32} {value}")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s (confirmed by the hosts)"
