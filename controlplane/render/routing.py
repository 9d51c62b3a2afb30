"""A frontend's routes as HAProxy ACLs and `use_backend` rules, in the model's order."""

from __future__ import annotations

from ..model import Frontend


def routing(fe: Frontend) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return ACL lines and use_backend rules; first matching route wins, as in the model."""
    acls: list[tuple[str, str]] = []
    rules: list[tuple[str, str]] = []
    for i, route in enumerate(fe.routes):
        conditions = []
        if route.host is not None:
            name = f"route{i}_host"
            host_field = "req.hdr(host),field(1,:),lower"
            if route.host.startswith("*."):
                acls.append((name, f"{host_field} -m end {route.host[1:]}"))
            else:
                acls.append((name, f"{host_field} -m str {route.host}"))
            conditions.append(name)
        if route.path_prefix is not None:
            name = f"route{i}_path"
            prefix = route.path_prefix
            if prefix.endswith("/"):
                acls.append((name, f"path_beg {prefix}"))
            else:
                # '/v1' matches '/v1' and '/v1/...', never '/v1beta'.
                acls.append((name, f"path {prefix}"))
                acls.append((name, f"path_beg {prefix}/"))
            conditions.append(name)
        rules.append((route.pool, " ".join(conditions)))
    return acls, rules
