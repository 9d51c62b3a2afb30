"""Whether a VRRP report names a host and instance the environment really has.

keepalived's notify hook on each LB host reports transitions (POST /api/v1/events/vrrp).
Hosts run the last deployed revision until the newest one is deployed, so an instance of
either one is real; anything else would put a made-up host into the alerts.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import store
from ..errors import ModelInvalid
from ..render import keepalived_context

# revision id -> ({host: its VRRP instance names} or None when it no longer validates,)
InstanceCache = dict[int, tuple[dict[str, frozenset[str]] | None]]
_CACHED_REVISIONS = 16  # only the newest and the deployed revision are ever asked for


def unknown_reporter(
    session: Session, environment: str, host: str, instance: str, cache: InstanceCache
) -> tuple[str, str] | None:
    """Return (field, message) when the host or its instance is in neither model, else None.

    With no revision stored (hosts deployed from the CLI report too), or none today's rules
    accept, there is nothing to check against: the report is accepted.
    """
    readable = [
        found
        for found in (_instances_by_host(r, cache) for r in _revisions(session, environment))
        if found is not None
    ]
    if not readable:
        return None
    known: dict[str, set[str]] = {}
    for instances_by_host in readable:
        for name, instances in instances_by_host.items():
            known.setdefault(name, set()).update(instances)
    if host not in known:
        return "host", (
            f"host: {host!r} is not an lb_host of the current model (nor of the deployed "
            "one); LBCTL_NOTIFY_HOST on the reporting host must name one"
        )
    if instance not in known[host]:
        return "instance", (
            f"instance: {instance!r} is not a VRRP instance of {host} in the current model "
            f"(nor in the deployed one); {host} has {', '.join(sorted(known[host])) or 'none'}"
        )
    return None


def _revisions(session: Session, environment: str) -> list[store.Revision]:
    """Return the newest revision and the last successfully deployed one (when there are)."""
    deployed = store.last_successful(session, environment)
    found = [store.current_revision(session, environment), deployed.revision if deployed else None]
    return [revision for revision in found if revision is not None]


def _instances_by_host(
    revision: store.Revision, cache: InstanceCache
) -> dict[str, frozenset[str]] | None:
    """Return each host's VRRP instance names in the revision; None if it no longer validates."""
    # A revision never changes: its instances are worked out once, not at every report.
    cached = cache.get(revision.id)
    if cached is not None:
        return cached[0]
    try:
        model = store.revision_model(revision)
    except ModelInvalid:  # an old revision under newer rules
        found = None
    else:
        found = {
            host.name: frozenset(i.name for i in keepalived_context(model, host.name).instances)
            for host in model.lb_hosts
        }
    if len(cache) >= _CACHED_REVISIONS:
        cache.clear()
    cache[revision.id] = (found,)
    return found
