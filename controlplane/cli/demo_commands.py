"""`lbctl demo`: the admin app on 127.0.0.1 with a live pair behind it (what `make run` runs).

As root it brings up the namespace lab, deploys the lab model from the store and keeps a
trickle of traffic going; Ctrl-C or SIGTERM stops the app and tears the lab down. Elsewhere
it serves the example environment, whose hosts do not exist, and says so in one line.
"""

from __future__ import annotations

import signal
import sys
from dataclasses import replace
from types import FrameType
from typing import TYPE_CHECKING

import click
from sqlalchemy.pool import NullPool

from .. import store
from ..paths import example_environment_dir, example_inventory_file, lab_model_file
from ..web.config import WebSettings
from .group import main
from .output import err, fail, progress
from .server_commands import cli_actor, init_store, serve_app

if TYPE_CHECKING:
    from ..lab.trickle import TrickleStats
    from ..usecases.lab_demo import RunningDemo

DEMO_HOST = "127.0.0.1"  # plain HTTP, cookies without Secure: loopback only
LAB_ENVIRONMENT = "lab"
EXAMPLE_ENVIRONMENT = "example"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def no_lab_note(reason: str) -> str:
    """Return the one line saying why the example's hosts are unreachable and what to do."""
    return (
        f"note: serving the example model, whose hosts do not exist (the dashboard shows them "
        f"unreachable): {reason}; run `make run` as root for a live lab pair"
    )


@main.command()
@click.option("--port", default=8080, show_default=True, help="TCP port on 127.0.0.1 (0: any).")
def demo(port: int) -> None:
    """Serve the admin app on 127.0.0.1 over a live lab pair (root), else over the example.

    As root: the namespace lab (2 LB hosts, 3 backends, a client) is built, environment
    "lab" gets the lab model as its first revision and is deployed, and the lab's client
    sends a few requests a second through the VIPs. Ctrl-C or SIGTERM stops the app and the
    traffic and tears the lab down. The store is LBCTL_HOME (default ./instance).
    """
    from ..usecases.lab_demo import why_no_lab

    reason = why_no_lab()
    if reason:
        _serve_example(port, reason)
    else:
        _serve_live(port)


def _serve_example(port: int, reason: str) -> None:
    from ..web import create_app

    settings = _settings(EXAMPLE_ENVIRONMENT, inventory=example_inventory_file())
    password = init_store(settings, example_environment_dir() / "lb.yaml")
    app = create_app(settings, background=True)
    click.secho(no_lab_note(reason), fg="yellow", err=True)
    _how_to_log_in(password)
    serve_app(app, DEMO_HOST, port)


def _serve_live(port: int) -> None:
    from ..lab import LabBusyError, LabError
    from ..usecases.lab_demo import DemoFailed, running_demo

    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop_once)
    settings = _settings(LAB_ENVIRONMENT)
    password = init_store(settings, lab_model_file())
    # No connection may stay open once the lab is up: create_app opens the SQLite file again,
    # which drops this process's locks on it (POSIX locks are per process), and another
    # process closing its own connection then deletes the WAL from under a kept one ("disk
    # I/O error", seen when a test created a token while the demo ran).
    engine = store.make_engine(settings.database_url, poolclass=NullPool)
    try:
        with running_demo(
            store.session_factory(engine), LAB_ENVIRONMENT, cli_actor(), progress
        ) as running:
            _serve_running(
                running, replace(settings, inventory=running.lab.inventory_path), port, password
            )
    except KeyboardInterrupt:
        err("interrupted: the lab is down")
        sys.exit(130)
    except LabBusyError as exc:
        fail(str(exc))
    except (DemoFailed, LabError) as exc:
        fail(f"{exc} (nothing is left running)")
    finally:
        engine.dispose()
    click.echo("lab is down")


def _serve_running(
    running: RunningDemo, settings: WebSettings, port: int, password: str | None
) -> None:
    """Serve the app over the running lab until a stop signal; then stop what it started."""
    from ..web import create_app
    from ..web.monitoring import POLLER_KEY
    from ..web.ui.operations import DRILL_PROBE_SETTING

    app = create_app(settings, background=True)
    app.config[DRILL_PROBE_SETTING] = "lab"  # the failover drill probes from the lab's client
    _describe(running)
    _how_to_log_in(password)
    serve_app(app, DEMO_HOST, port, stops="Ctrl-C stops it and tears the lab down")
    _ignore_stop_signals()  # from here on the teardown must finish
    if poller := app.extensions.get(POLLER_KEY):
        poller.stop()
    _report_traffic(running.trickle.stop())


def _settings(environment: str, **overrides: object) -> WebSettings:
    try:
        return WebSettings.from_environ(environment=environment, secure_cookies=False, **overrides)
    except ValueError as exc:  # a malformed LBCTL_* setting
        fail(str(exc))
        raise  # not reached: fail() exits


def _describe(running: RunningDemo) -> None:
    for host in running.status.hosts:
        states = ", ".join(f"{v.instance} {v.state}" for v in host.vrrp)
        up = sum(not s.down for s in host.servers)
        click.echo(f"{host.host}: {states}; {up} of {len(host.servers)} servers up")
    urls = ", ".join(running.trickle.urls)
    click.echo(f"traffic: {1 / running.trickle.interval:g} requests/s to each of {urls}")


def _how_to_log_in(password: str | None) -> None:
    if password:
        click.echo(f"log in as admin with password {password} (shown only this once)")
    else:
        click.echo("log in as admin (its password was shown when the store was created)")


def _report_traffic(stats: TrickleStats) -> None:
    """Print what the finished chunks sent (a chunk stopped early reports nothing)."""
    if stats.chunks:
        per_backend = ", ".join(f"{name} {n}" for name, n in sorted(stats.backends.items()))
        click.echo(
            f"traffic: {stats.requests} requests in {stats.chunks} finished chunks, "
            f"{stats.ok} answered ({per_backend or 'no backend named'})"
        )
    if stats.last_error:
        err(f"traffic: the last failed chunk said: {stats.last_error}")


def _stop_once(signum: int, frame: FrameType | None) -> None:
    """End the demo on the first stop signal; ignore later ones so the teardown finishes."""
    _ignore_stop_signals()
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _ignore_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
