"""Changes without a reload: a server's state and weight, saved and applied live.

The change becomes a new revision (so the next render agrees), then goes through HAProxy's
runtime API on every LB host serving the pool, and the hosts' haproxy.cfg is updated to
match, without a reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from .. import runtime, store
from ..render import HAPROXY_FILE
from ..store import Actor, Revision
from .revisions import edit_document, revision_document, revision_rendering

SERVER_LOCK_WAIT_S = 5.0


@dataclass(frozen=True)
class ServerChangeResult:
    """The revision that records a server change, and what each LB host did with it."""

    revision: Revision
    hosts: list[runtime.HostRuntimeResult]

    @property
    def applied(self) -> bool:
        return bool(self.hosts) and all(h.ok for h in self.hosts)


def set_server(
    session: Session,
    environment: str,
    inventory: Path,
    pool: str,
    server: str,
    actor: Actor,
    state: str | None = None,
    weight: int | None = None,
    base_revision: int | None = None,
    channels: runtime.ChannelPool | None = None,
) -> ServerChangeResult:
    """Return the new revision setting a server's state/weight, applied live on its hosts.

    The change is saved as a revision (so the next render agrees), then sent through
    HAProxy's runtime API to every LB host serving the pool, in parallel, with no reload.
    A host that fails is reported (and audited); the next deploy converges it. Holds the
    environment's deploy lock, so it never interleaves with a deploy. Raises NotFound,
    ModelInvalid, StaleRevision or DeployLocked (nothing saved).
    """
    from ..deploy import environment_lock

    with environment_lock(environment, SERVER_LOCK_WAIT_S):
        head = store.current_revision(session, environment)
        document = revision_document(head, masked=False)
        _find_server(document, pool, server)

        def edit(doc: dict[str, Any]) -> None:
            entry = _find_server(doc, pool, server)
            if state is not None:
                entry["state"] = state
            if weight is not None:
                entry["weight"] = weight

        wanted = ", ".join(
            part
            for part in (
                f"state {state}" if state else "",
                f"weight {weight}" if weight is not None else "",
            )
            if part
        )
        message = f"server {pool}/{server}: {wanted or 'unchanged'}"
        # Without a base the change applies to the newest revision (it edits one field).
        base = base_revision if base_revision is not None else head.number if head else None
        revision = edit_document(session, environment, edit, actor, message, base, ("pools", pool))
        model = store.revision_model(revision)
        saved = next(
            s for p in model.pools if p.name == pool for s in p.servers if s.name == server
        )
        change = runtime.model_change(pool, server, saved.state, saved.weight)
        # Made from the head's rendering when it is made (the previous change made it), and
        # kept for the preview.
        _contents, rendered = revision_rendering(session, revision, base=head)
        configs = {h.host: h.files[HAPROXY_FILE] for h in rendered.hosts}
        # The hosts serving the pool are those whose file has its backend (each backend is
        # named for its pool): building every host's render context again took 0.7 s at
        # 50,000 servers.
        hosts = [h.name for h in model.lb_hosts if f"\nbackend {pool}\n" in configs.get(h.name, "")]
        results = _apply_runtime(inventory, hosts, change, configs, channels)
    store.record_audit(
        session,
        actor,
        "server.runtime",
        f"{environment} revision {revision.number}",
        {
            "server": f"{pool}/{server}",
            "state": saved.state,
            "weight": saved.weight,
            "hosts": [h.as_dict() for h in results],
        },
    )
    session.flush()
    return ServerChangeResult(revision, results)


def _find_server(document: dict[str, Any], pool: str, server: str) -> dict[str, Any]:
    for entry in document.get("pools") or []:
        if entry.get("name") == pool:
            for candidate in entry.get("servers") or []:
                if candidate.get("name") == server:
                    return candidate
            raise store.NotFound(f"server in pool {pool!r}", server)
    raise store.NotFound("pool", pool)


def _apply_runtime(
    inventory: Path,
    hosts: list[str],
    change: runtime.ServerChange,
    configs: dict[str, str],
    channels: runtime.ChannelPool | None,
) -> list[runtime.HostRuntimeResult]:
    own = channels is None
    pool = channels or runtime.ChannelPool()
    try:
        try:
            targets = pool.targets(inventory, hosts)
        except runtime.InventoryUnreadable as exc:
            return [runtime.HostRuntimeResult(h, False, 0.0, str(exc)) for h in hosts]
        return runtime.apply_commands(pool, list(targets.values()), [change], configs).hosts
    finally:
        if own:
            pool.close()
