"""The live demo: the namespace lab up, the store's newest revision deployed to it, traffic.

    with running_demo(sessions, "lab", actor, progress) as demo:
        ...  # serve the admin app: a live pair, green, with traffic per server

Everything it builds is torn down when the block ends, however it ends (a failed deploy,
Ctrl-C, SIGTERM turned into KeyboardInterrupt by the caller): processes by pid, then the
namespaces. The store keeps the revision and the deployment, as any deploy leaves them.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from .. import lab as lab_api
from .. import store
from ..lab import Lab
from ..lab.topology import LAB_NETWORK
from ..lab.trickle import MAX_URLS, Trickle
from ..model import LbModel
from ..observe.status import EnvironmentStatus, collect_status
from .deployments import start_deploy, wait_for_deployment

Progress = Callable[[str], None]

LB_HOSTS = 2  # the lab model's lb1 and lb2
BACKENDS = 3  # its app1..app3
# Another holder (a test session) may be using the lab: say so soon rather than wait long.
RESERVE_WAIT_S = 10.0
DEPLOY_TIMEOUT_S = 300.0
# After a first deploy keepalived needs ~3 adverts to elect a MASTER and HAProxy `rise`
# checks to call servers UP; each look costs an Ansible run of a few seconds.
HEALTHY_TIMEOUT_S = 90.0


class DemoFailed(Exception):
    """The demo could not be started; the message says what failed (the lab is down again)."""


@dataclass(frozen=True)
class RunningDemo:
    lab: Lab
    revision: int
    deployment_id: int
    status: EnvironmentStatus  # the first healthy one
    trickle: Trickle


def why_no_lab() -> str | None:
    """Return why the lab cannot run here (not root, a tool missing), or None when it can."""
    return lab_api.require_root_lab()


@contextmanager
def running_demo(
    sessions: sessionmaker[Session],
    environment: str,
    actor: store.Actor,
    progress: Progress,
) -> Iterator[RunningDemo]:
    """Hold the lab, build it, deploy the environment's newest revision, keep traffic going.

    Raises DemoFailed (the deploy failed, the pair never became healthy), LabError (the
    lab could not be built) or LabBusyError (another process holds the lab).
    """
    revision, model = _newest(sessions, environment)
    urls = trickle_urls(model)
    with lab_api.reserved(timeout=RESERVE_WAIT_S):
        try:
            lab = lab_api.up(lb_hosts=LB_HOSTS, backends=BACKENDS, progress=progress)
            deployment_id = _deploy(sessions, environment, lab.inventory_path, actor, progress)
            status = wait_until_healthy(lab.inventory_path, HEALTHY_TIMEOUT_S, progress)
            with Trickle(lab.client_ns, urls) as trickle:
                yield RunningDemo(lab, revision, deployment_id, status, trickle)
        finally:
            progress("tearing the lab down")
            lab_api.down(progress=progress)


def trickle_urls(model: LbModel) -> list[str]:
    """Return an http:// URL per plain (non-TLS) frontend on a lab VIP, at most MAX_URLS."""
    pairs = {pair.name: pair for pair in model.vip_pairs}
    urls: list[str] = []
    for frontend in model.frontends:
        vip = str(frontend.vip or str(pairs[frontend.vip_pair].vips[0]).split("/")[0])
        url = f"http://{vip}:{frontend.port}/"
        if frontend.tls is None and ipaddress.ip_address(vip) in LAB_NETWORK and url not in urls:
            urls.append(url)
    if not urls:
        raise DemoFailed("the model has no plain HTTP or TCP frontend on a lab VIP to send to")
    return urls[:MAX_URLS]


def healthy(status: EnvironmentStatus) -> bool:
    """Return whether every host is up with HAProxy and keepalived, one MASTER per instance,
    servers reported and no critical finding (no server DOWN)."""
    hosts_up = all(h.reachable and h.haproxy_up and h.keepalived_up for h in status.hosts)
    instances = {v.instance for h in status.hosts for v in h.vrrp}
    masters = [v.instance for h in status.hosts for v in h.vrrp if v.state == "MASTER"]
    servers = [s for h in status.hosts for s in h.servers]
    return (
        bool(status.hosts)
        and hosts_up
        and bool(instances)
        and sorted(masters) == sorted(instances)
        and bool(servers)
        and not status.critical
    )


def wait_until_healthy(inventory: Path, timeout_s: float, progress: Progress) -> EnvironmentStatus:
    """Return the first healthy status of the inventory's hosts; raise DemoFailed at timeout."""
    progress("waiting for a MASTER and healthy servers")
    deadline = time.monotonic() + timeout_s
    while True:
        status = collect_status(inventory)
        if healthy(status):
            return status
        if time.monotonic() >= deadline:
            found = "; ".join(f"{f.subject}: {f.message}" for f in status.findings)
            raise DemoFailed(
                f"the pair was not healthy {timeout_s:.0f} s after the deploy"
                + (f" ({found})" if found else "")
                + f"; `lbctl status -i {inventory}` shows it while the lab is up"
            )
        time.sleep(2)


def _newest(sessions: sessionmaker[Session], environment: str) -> tuple[int, LbModel]:
    with sessions() as session:
        revision = store.current_revision(session, environment)
        if revision is None:
            raise DemoFailed(f"{environment} has no revision to deploy: import the lab model first")
        return revision.number, store.revision_model(revision)


def _deploy(
    sessions: sessionmaker[Session],
    environment: str,
    inventory: Path,
    actor: store.Actor,
    progress: Progress,
) -> int:
    """Deploy the newest revision as any deploy from the app would, and wait for its end."""
    deployment_id = start_deploy(sessions, environment, inventory, actor)
    progress(f"deploying to the lab hosts (deployment {deployment_id}, about a minute)")
    deployment = wait_for_deployment(sessions, deployment_id, DEPLOY_TIMEOUT_S)
    if deployment.state != "succeeded":
        raise DemoFailed(f"deployment {deployment_id} {deployment.state}: {_failure(deployment)}")
    return deployment_id


def _failure(deployment: store.Deployment) -> str:
    failed = [r for r in deployment.host_results if r.get("status") == "failed"]
    if failed:
        return "; ".join(
            f"{r['host']} at {r.get('failed_step') or '?'}: {r.get('error') or 'no message'}"
            for r in failed
        )
    return "see its events on the Deploy page or with the API"
