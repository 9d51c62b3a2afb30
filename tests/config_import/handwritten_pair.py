"""A pair written by hand for the importer's tests: lb1 (MASTER) and lb2, one VRRP instance.

Each test gives the haproxy.cfg both hosts run and the files it names (as on the hosts,
mirrored under `<host>/files/`); keepalived.conf is the same unicast instance everywhere.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

KEEPALIVED = """vrrp_instance VI_1 {{
    state {state}
    interface eth0
    virtual_router_id 51
    priority {priority}
    unicast_src_ip {me}
    unicast_peer {{
        {peer}
    }}
    virtual_ipaddress {{
        198.18.0.100/24 dev eth0
    }}
}}
"""
# Proving the originals needs the real haproxy and the sandbox it runs in.
needs_tools = pytest.mark.skipif(
    not (shutil.which("haproxy") and shutil.which("bwrap")), reason="needs haproxy and bwrap"
)
HOSTS = (
    ("lb1", "MASTER", 150, "198.18.0.10", "198.18.0.11"),
    ("lb2", "BACKUP", 100, "198.18.0.11", "198.18.0.10"),
)


def write_pair(folder: Path, haproxy_cfg: str, files: Mapping[str, str] | None = None) -> Path:
    """Write `folder/<host>/` for both hosts in the layout `lbctl import DIR` reads."""
    for host, state, priority, me, peer in HOSTS:
        (folder / host).mkdir(parents=True, exist_ok=True)
        (folder / host / "haproxy.cfg").write_text(haproxy_cfg)
        (folder / host / "keepalived.conf").write_text(
            KEEPALIVED.format(state=state, priority=priority, me=me, peer=peer)
        )
        for path, text in (files or {}).items():
            target = folder / host / "files" / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    return folder
