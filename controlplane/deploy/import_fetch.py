"""Fetch the files an existing pair's configs name, for `lbctl import -i` (read-only)."""

from __future__ import annotations

import base64
from pathlib import Path

from .runner import run_playbook


def fetch_named_files(
    inventory: Path, hosts: list[str], paths: list[str]
) -> dict[str, dict[str, bytes]]:
    """Return host -> absolute path -> content of each of `paths` the host has."""
    if not paths:
        return {host: {} for host in hosts}
    run = run_playbook(
        "import_files.yml",
        inventory,
        limit=",".join(hosts),
        extravars={"paths": sorted(set(paths))},
        fact_keys=("lbctl_import_files",),
    )
    found: dict[str, dict[str, bytes]] = {}
    for host in hosts:
        facts = run.facts.get(host, {}).get("lbctl_import_files") or {}
        found[host] = {str(p): base64.b64decode(c) for p, c in dict(facts).items()}
    return found
