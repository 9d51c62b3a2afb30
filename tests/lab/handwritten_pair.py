"""A hand-written haproxy.cfg + keepalived.conf pair for the lab (not rendered by lbctl).

What an operator's pair looks like before adoption: two HTTP frontends' worth of ACL
routing (hosts, paths, a deny, a redirect), a TCP listener, backends at the lab's
backends, and keepalived with the lab VIP, unicast peers, a password and a track script.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).with_name("handwritten")
# host -> (state, priority, own address, peer address)
HOSTS = {
    "lb1": ("MASTER", 150, "198.18.0.10", "198.18.0.11"),
    "lb2": ("BACKUP", 100, "198.18.0.11", "198.18.0.10"),
}


def haproxy_cfg() -> str:
    return (HERE / "haproxy.cfg").read_text()


def keepalived_conf(host: str) -> str:
    state, priority, me, peer = HOSTS[host]
    template = (HERE / "keepalived.conf").read_text()
    return template.format(host=host, state=state, priority=priority, me=me, peer=peer)


def write_dir(directory: Path) -> Path:
    """Write the pair in `lbctl import DIR`'s layout; return DIR."""
    for host in HOSTS:
        (directory / host).mkdir(parents=True, exist_ok=True)
        (directory / host / "haproxy.cfg").write_text(haproxy_cfg())
        (directory / host / "keepalived.conf").write_text(keepalived_conf(host))
    return directory
