"""Order and renew a store-flow environment's `acme:` certificates, and serve them.

For each ACME certificate of the environment's newest revision that is due (never issued,
its domains changed, or two thirds of its lifetime gone) and not backing off after a
failure:

1. never issued: a self-signed stand-in is stored and deployed (acme/placeholder.py), so
   the pair serves the challenge route before the first order;
2. the order (acme/order.py), its HTTP-01 challenges published in the challenge map of
   every host of the pairs that serve the certificate (runtime/acme_challenges.py);
3. the chain and its fresh key stored (encrypted) as a new version of the certificate,
   and a new revision that uses it (usecases/stored_files.py);
4. served: rotated at run time on every host (runtime/rotation.py: same worker, no reload)
   and recorded as a deployment of that revision; a revision whose haproxy.cfg differs from
   the deployed one is deployed in full instead;
5. the audit log records the issue (serial, not-after, domains) or the failure, and the
   renewal record counts failures for the backoff and the `certificate_renewal_failing`
   alert (raised by the caller: the server's scheduler, or the CLI's exit status).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from .. import runtime, store
from ..acme import (
    AcmeOrderFailed,
    IssuedCertificate,
    RenewalState,
    is_placeholder,
    order_certificate,
    placeholder_certificate,
    renewal_due,
    renewal_time,
)
from ..deploy import DeployLocked, environment_lock
from ..model import LbModel
from ..model.config_files import AcmeCertificate, attached_key
from ..render.acme import certificate_pairs, challenge_frontends, challenge_map_path, files_dir
from ..runtime.acme_challenges import MapChallengeResponder
from ..store import Actor, StoredFile
from ..store import acme as acme_store
from ..store import files as stored
from .deployments import start_deploy, wait_for_deployment

log = logging.getLogger(__name__)

ALERT_KIND = "certificate_renewal_failing"
DEPLOY_TIMEOUT_S = 600.0
# How long a renewal waits for a deploy of the same environment to finish first.
LOCK_WAIT_S = 120.0

Status = Literal["issued", "served", "not_due", "backing_off", "failed"]


@dataclass(frozen=True)
class AcmeOutcome:
    """What one certificate's turn did: issued and served, skipped, or failed (and why)."""

    name: str
    status: Status
    message: str
    serial: str = ""
    not_after: str = ""
    revision: int | None = None
    deployment: int | None = None
    failures: int = 0
    failing: bool = False  # failed FAILING_AFTER times in a row: the alert's condition
    hosts: list[dict[str, Any]] = field(default_factory=list)
    retry_at: datetime | None = None  # failed or backing off: when the next try is allowed

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["retry_at"] = self.retry_at.isoformat() if self.retry_at else None
        return found


class AcmeRenewalError(Exception):
    """A step after the order failed (store, deploy, rotation); the message says which."""


def acme_specs(model: LbModel) -> dict[str, AcmeCertificate]:
    """Return certificate name -> its `acme:` block, for the model's ACME certificates."""
    return {c.name: c.acme for c in model.certificates if c.acme is not None}


def acme_status(session: Session, environment: str, now: datetime) -> list[dict[str, Any]]:
    """Return each ACME certificate's state: domains, not-after, renewal time, failures."""
    head = store.current_revision(session, environment)
    if head is None:
        return []
    rows = []
    for name, spec in acme_specs(store.revision_model(head)).items():
        current = stored.current_file(session, "certificate", name)
        state = acme_store.renewal_state(session, name)
        issued = current is not None and not is_placeholder(current.issuer)
        renews = (
            renewal_time(current.not_before, current.not_after)
            if issued and current and current.not_before and current.not_after
            else None
        )
        rows.append(
            {
                "name": name,
                "domains": list(spec.domains),
                "directory": spec.directory,
                "issued": issued,
                "serial": current.serial if issued and current else None,
                "not_after": current.not_after.isoformat()
                if issued and current and current.not_after
                else None,
                "renews_at": renews.isoformat() if renews else None,
                "due": _due_reason(current, list(spec.domains), now) is not None,
                "failures": state.failures,
                "failing": state.failing,
                "last_error": state.last_error,
                "next_attempt_at": state.next_attempt_at.isoformat()
                if state.next_attempt_at
                else None,
            }
        )
    return rows


def renew_certificates(
    sessions: sessionmaker[Session],
    environment: str,
    inventory: Path,
    actor: Actor,
    names: Iterable[str] | None = None,
    force: bool = False,
    now: datetime | None = None,
    ca_bundle: str | None = None,
    channels: runtime.ChannelPool | None = None,
) -> list[AcmeOutcome]:
    """Return one outcome per ACME certificate of the environment (or each named one).

    `force` orders even when a certificate is not due and ignores the backoff. Raises
    NotFound for an environment without revisions or a name that is no ACME certificate
    of it; every other failure is a "failed" outcome (recorded and audited).
    """
    now = now or datetime.now(UTC)
    with sessions() as session:
        head = store.current_revision(session, environment)
        if head is None:
            raise store.NotFound("revision in environment", environment)
        specs = acme_specs(store.revision_model(head))
    wanted = list(specs) if names is None else list(names)
    for name in wanted:
        if name not in specs:
            raise store.NotFound(f"ACME certificate in environment {environment}", name)
    own = channels is None
    pool = channels or runtime.ChannelPool()
    try:
        return [
            _turn(sessions, environment, inventory, actor, name, force, now, ca_bundle, pool)
            for name in wanted
        ]
    finally:
        if own:
            pool.close()


def _turn(
    sessions: sessionmaker[Session],
    environment: str,
    inventory: Path,
    actor: Actor,
    name: str,
    force: bool,
    now: datetime,
    ca_bundle: str | None,
    channels: runtime.ChannelPool,
) -> AcmeOutcome:
    with sessions() as session:
        model = store.revision_model(store.current_revision(session, environment))  # type: ignore[arg-type]
        spec = acme_specs(model)[name]
        current = stored.current_file(session, "certificate", name)
        state = acme_store.renewal_state(session, name)
    reason = _due_reason(current, list(spec.domains), now)
    # Only after a failure: an issue whose rotation or deploy failed is served again; an
    # operator's own upload of the same name is theirs to deploy.
    unserved = (
        _unserved_revision(sessions, environment, current)
        if current is not None and state.failures
        else None
    )
    if reason is None and current is not None and not force and unserved is None:
        return AcmeOutcome(name, "not_due", _not_due(current), failures=state.failures)
    if not force and not state.may_try(now):
        when = state.next_attempt_at.isoformat() if state.next_attempt_at else "later"
        message = f"backing off after {state.failures} failures; next try {when}"
        return AcmeOutcome(
            name,
            "backing_off",
            message,
            failures=state.failures,
            failing=state.failing,
            retry_at=state.next_attempt_at,
        )
    try:
        if reason is None and current is not None and unserved is not None and not force:
            return _serve_stored(
                sessions, environment, inventory, actor, current, unserved, channels, now
            )
        challenge_hosts(model, name)  # before any deploy: refuse what no deploy can fix
        if current is None:
            _deploy_placeholder(sessions, environment, inventory, actor, name, list(spec.domains))
        elif not _route_deployed(sessions, environment, name):
            # A stand-in or a certificate whose deploy failed or never ran: the hosts must
            # serve the challenge route before the CA fetches it.
            with sessions() as session:
                number = store.current_revision(session, environment).number  # type: ignore[union-attr]
            _deploy(sessions, environment, inventory, actor, number)
        with sessions() as session:
            model = store.revision_model(store.current_revision(session, environment))  # type: ignore[arg-type]
        issued = _order(sessions, model, inventory, name, spec, ca_bundle, channels)
        why = reason or "forced"
        return _serve(sessions, environment, inventory, actor, name, issued, channels, now, why)
    except (
        AcmeOrderFailed,
        AcmeRenewalError,
        DeployLocked,
        runtime.InventoryUnreadable,
        runtime.RuntimeAnswerError,
        store.StoreError,
    ) as exc:
        return _failed(sessions, actor, name, str(exc), state, now, list(spec.domains))


def _route_deployed(sessions: sessionmaker[Session], environment: str, name: str) -> bool:
    """Return whether the deployed revision serves `name` and its pairs' challenge route."""
    from .revisions import deployed_revision

    with sessions() as session:
        deployed = deployed_revision(session, environment)
        if deployed is None:
            return False
        model = store.revision_model(deployed)
    pairs = certificate_pairs(model, name)
    return bool(pairs) and all(challenge_frontends(model, pair) for pair in pairs)


def _due_reason(current: StoredFile | None, domains: list[str], now: datetime) -> str | None:
    if current is None:
        return "never issued"
    if is_placeholder(current.issuer):
        return "only the stand-in is deployed"
    if sorted(current.sans or []) != sorted(domains):
        return "its domains changed"
    if (
        current.not_before
        and current.not_after
        and renewal_due(current.not_before, current.not_after, now)
    ):
        return "two thirds of its lifetime have passed"
    return None


def _not_due(current: StoredFile) -> str:
    return f"not due: valid until {current.not_after.isoformat() if current.not_after else '?'}"


def _deploy_placeholder(
    sessions: sessionmaker[Session],
    environment: str,
    inventory: Path,
    actor: Actor,
    name: str,
    domains: list[str],
) -> None:
    """Store and deploy the stand-in, so the pair answers the first order's challenge."""
    from .stored_files import put_certificate

    with sessions.begin() as session:
        upload = put_certificate(
            session, environment, actor, name, placeholder_certificate(domains)
        )
        revision = upload.revision
        store.record_audit(
            session, actor, "acme.placeholder", f"certificate {name}", {"domains": domains}
        )
    if revision is None:
        raise AcmeRenewalError(f"the stand-in for {name} made no revision to deploy")
    _deploy(sessions, environment, inventory, actor, revision.number)


def _deploy(
    sessions: sessionmaker[Session], environment: str, inventory: Path, actor: Actor, number: int
) -> int:
    deployment_id = start_deploy(sessions, environment, inventory, actor, number, LOCK_WAIT_S)
    deployment = wait_for_deployment(sessions, deployment_id, DEPLOY_TIMEOUT_S)
    if deployment.state != "succeeded":
        raise AcmeRenewalError(
            f"deployment {deployment_id} of revision {number} {deployment.state}: "
            "see `lbctl deployments` or the web app for its events"
        )
    return deployment_id


def challenge_hosts(model: LbModel, name: str) -> list[str]:
    """Return the hosts that must answer `name`'s challenges; AcmeRenewalError if none can."""
    pairs = certificate_pairs(model, name)
    if not pairs:
        raise AcmeRenewalError(
            f"certificate {name} is served by no frontend: no pair can answer its HTTP-01 "
            "challenge; name it in a frontend's tls.certificates"
        )
    for pair in pairs:
        if not challenge_frontends(model, pair):
            raise AcmeRenewalError(
                f"VIP pair {pair} has no plain-HTTP frontend on port 80 to answer the HTTP-01 "
                f"challenge of {name}; add one (mode http, port 80, no tls)"
            )
    hosts = [h for p in model.vip_pairs if p.name in pairs for h in p.hosts]
    return list(dict.fromkeys(hosts))


def _order(
    sessions: sessionmaker[Session],
    model: LbModel,
    inventory: Path,
    name: str,
    spec: AcmeCertificate,
    ca_bundle: str | None,
    channels: runtime.ChannelPool,
) -> IssuedCertificate:
    hosts = challenge_hosts(model, name)
    try:
        targets = channels.targets(inventory, hosts)
    except (runtime.InventoryUnreadable, OSError) as exc:
        raise AcmeRenewalError(f"inventory {inventory}: {exc}") from None
    with sessions.begin() as session:
        account_key = acme_store.account_key(session, spec.directory)
    responder = MapChallengeResponder(channels, list(targets.values()), challenge_map_path(model))
    issued = order_certificate(
        spec.directory, account_key, list(spec.domains), responder, spec.contact, ca_bundle
    )
    with sessions.begin() as session:
        acme_store.remember_account(session, spec.directory, issued.account_uri)
    return issued


def _serve(
    sessions: sessionmaker[Session],
    environment: str,
    inventory: Path,
    actor: Actor,
    name: str,
    issued: IssuedCertificate,
    channels: runtime.ChannelPool,
    now: datetime,
    reason: str,
) -> AcmeOutcome:
    """Store the issued certificate, serve it (rotation, else a deploy), audit it."""
    from .stored_files import put_certificate

    serial = f"{issued.serial:x}"
    with sessions.begin() as session:
        upload = put_certificate(session, environment, actor, name, issued.pem)
        if upload.revision is None:
            raise AcmeRenewalError(f"certificate {name} was stored but no revision uses it")
        number = upload.revision.number
    deployment_id, hosts, rotated = _serve_revision(
        sessions, environment, inventory, actor, name, number, issued.pem, channels
    )
    with sessions.begin() as session:
        acme_store.record_renewal(session, name, RenewalState(), now)
        store.record_audit(
            session,
            actor,
            "acme.issued",
            f"certificate {name}",
            {
                "serial": serial,
                "not_after": issued.not_after.isoformat(),
                "revision": number,
                "deployment": deployment_id,
                "served_by": "runtime" if rotated else "deploy",
                "reason": reason,
            },
        )
    message = f"issued serial {serial}, valid until {issued.not_after.isoformat()}; " + (
        "rotated without a reload" if rotated else f"deployed (deployment {deployment_id})"
    )
    return AcmeOutcome(
        name, "issued", message, serial, issued.not_after.isoformat(), number, deployment_id,
        hosts=hosts,
    )  # fmt: skip


def _serve_revision(
    sessions: sessionmaker[Session],
    environment: str,
    inventory: Path,
    actor: Actor,
    name: str,
    number: int,
    pem: str,
    channels: runtime.ChannelPool,
) -> tuple[int, list[dict[str, Any]], bool]:
    """Serve revision `number` (which holds `pem` as `name`): rotated when only that
    content differs from the deployed revision, else deployed in full.

    Returns (deployment id, per-host rotation results, whether it was rotated).
    """
    from .revisions import deployed_revision

    with sessions() as session:
        revision = store.get_revision(session, environment, number)
        deployed = deployed_revision(session, environment)
        model = store.revision_model(revision)
        # Rotation replaces contents only: the deployed config must already name the file.
        rotate = deployed is not None and _same_config(store.revision_model(deployed), model)
    if not rotate:
        return _deploy(sessions, environment, inventory, actor, number), [], False
    deployment_id, hosts = _rotate(
        sessions, environment, inventory, actor, number, model, name, pem,
        attached_key("certificate", name), channels,
    )  # fmt: skip
    return deployment_id, hosts, True


def _unserved_revision(
    sessions: sessionmaker[Session], environment: str, current: StoredFile
) -> int | None:
    """Return the newest revision's number when it uses `current` but the deployed one does
    not (a rotation or deploy after an issue failed): it still has to be served."""
    from .revisions import deployed_revision

    key = ("certificate", current.name)
    with sessions() as session:
        head = store.current_revision(session, environment)
        if head is None or stored.revision_pins(session, head).get(key) != current.content_sha256:
            return None  # a rollback or an older model: not ours to undo
        deployed = deployed_revision(session, environment)
        if deployed is not None and (
            stored.revision_pins(session, deployed).get(key) == current.content_sha256
        ):
            return None
        return head.number


def _serve_stored(
    sessions: sessionmaker[Session],
    environment: str,
    inventory: Path,
    actor: Actor,
    current: StoredFile,
    number: int,
    channels: runtime.ChannelPool,
    now: datetime,
) -> AcmeOutcome:
    """Serve a certificate issued earlier whose rotation or deploy did not go through."""
    name = current.name
    pem = stored.file_text(current)
    deployment_id, hosts, rotated = _serve_revision(
        sessions, environment, inventory, actor, name, number, pem, channels
    )
    with sessions.begin() as session:
        acme_store.record_renewal(session, name, RenewalState(), now)
        store.record_audit(
            session,
            actor,
            "acme.served",
            f"certificate {name}",
            {
                "serial": current.serial,
                "revision": number,
                "deployment": deployment_id,
                "served_by": "runtime" if rotated else "deploy",
            },
        )
    message = f"serial {current.serial}, stored earlier, now " + (
        "rotated without a reload" if rotated else f"deployed (deployment {deployment_id})"
    )
    not_after = current.not_after.isoformat() if current.not_after else ""
    return AcmeOutcome(
        name, "served", message, current.serial or "", not_after, number, deployment_id,
        hosts=hosts,
    )  # fmt: skip


def _same_config(deployed: LbModel, new: LbModel) -> bool:
    """Return whether two revisions' models are the same (only a file's content differs)."""
    return deployed.model_dump_json() == new.model_dump_json()


def _rotate(
    sessions: sessionmaker[Session],
    environment: str,
    inventory: Path,
    actor: Actor,
    number: int,
    model: LbModel,
    name: str,
    pem: str,
    key: str,
    channels: runtime.ChannelPool,
) -> tuple[int, list[dict[str, Any]]]:
    """Rotate the certificate on every host serving it; record it as a runtime deployment."""
    from ..runtime.rotation import rotate_files

    pairs = certificate_pairs(model, name)
    hosts = list(dict.fromkeys(h for p in model.vip_pairs if p.name in pairs for h in p.hosts))
    targets = channels.targets(inventory, hosts)
    with sessions.begin() as session:
        revision = store.get_revision(session, environment, number)
        deployment_id = store.create_deployment(session, revision, actor.name).id
        store.start_deployment(session, deployment_id)
    # A deploy and a rotation of one environment must not overlap (runtime/rotation.py).
    with (
        store.deploy_lock(sessions.kw["bind"], environment, LOCK_WAIT_S),
        environment_lock(environment, LOCK_WAIT_S),
    ):
        result = rotate_files(channels, list(targets.values()), files_dir(model), {key: pem}, {key})
    results = [h.as_dict() for h in result.hosts]
    with sessions.begin() as session:
        for host in result.hosts:
            message = (
                f"{key} rotated in {host.seconds * 1000:.0f} ms, same worker {host.worker_pid}"
                if host.ok
                else f"{key} not rotated: {host.error}"
            )
            store.append_event(
                session, deployment_id, "ok" if host.ok else "failed", host.host, "rotate", message
            )
        store.finish_deployment(
            session,
            deployment_id,
            "succeeded" if result.ok else "failed",
            [_deployment_result(h) for h in result.hosts],
        )
    if not result.ok:
        failed = "; ".join(f"{h.host}: {h.error}" for h in result.hosts if not h.ok)
        raise AcmeRenewalError(f"certificate {name} stored, but not rotated: {failed}")
    return deployment_id, results


def _deployment_result(host: Any) -> dict[str, Any]:
    """A rotated host as a deployment's per-host result (what a deploy records)."""
    status = ("changed" if host.changed else "unchanged") if host.ok else "failed"
    return {
        "host": host.host,
        "status": status,
        "seconds": host.seconds,
        "failed_step": "" if host.ok else "rotate",
        "error": host.error,
    }


def _failed(
    sessions: sessionmaker[Session],
    actor: Actor,
    name: str,
    error: str,
    state: RenewalState,
    now: datetime,
    domains: list[str],
) -> AcmeOutcome:
    after = state.failed(error, now)
    log.warning("ACME renewal of %s failed (%d in a row): %s", name, after.failures, error)
    with sessions.begin() as session:
        acme_store.record_renewal(session, name, after, now)
        store.record_audit(
            session,
            actor,
            "acme.failed",
            f"certificate {name}",
            {
                "error": error[:500],
                "failures": after.failures,
                "domains": domains,
                "next_attempt": after.next_attempt_at.isoformat()
                if after.next_attempt_at
                else None,
            },
        )
    return AcmeOutcome(
        name,
        "failed",
        error,
        failures=after.failures,
        failing=after.failing,
        retry_at=after.next_attempt_at,
    )
