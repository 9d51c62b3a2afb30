"""What an LB host runs (its files, its addresses, attached digests): the probe's code.

Shared by lbctl_probe and by lbctl_deploy_host's probe mode, which deploy.yml's probe uses
so that Ansible packs one module per deploy run, not two.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess


def read_bytes(path: str) -> bytes | None:
    """Return the file's bytes, None when it cannot be read (missing)."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def addresses() -> list[str]:
    """Return the addresses the host holds (CIDR form), IPv4 and IPv6."""
    out = subprocess.run(
        ["ip", "-o", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[3] for line in out.splitlines() if len(line.split()) > 3]


def attached(files_dir: str) -> dict[str, str]:
    """Return path -> SHA-256 of every file under files_dir (symlinks followed, no dot files)."""
    found = {}
    for top, _dirs, names in os.walk(files_dir, followlinks=True):
        for name in names:
            if name.startswith("."):  # as Ansible's find: an atomic write's temporary file
                continue
            path = os.path.join(top, name)
            data = read_bytes(path)
            if data is not None:
                found[path] = hashlib.sha256(data).hexdigest()
    return found


def probe_facts(haproxy_path: str, keepalived_path: str, files_dir: str) -> dict:
    """Return the lbctl_probe fact (lbctl_probe's DOCUMENTATION says what each key is).

    Raises OSError or CalledProcessError when the addresses cannot be listed.
    """
    haproxy, keepalived = read_bytes(haproxy_path), read_bytes(keepalived_path)
    return {
        "haproxy_cfg": base64.b64encode(haproxy or b"").decode(),
        "keepalived_conf": base64.b64encode(keepalived or b"").decode(),
        "haproxy_found": str(haproxy is not None),
        "keepalived_found": str(keepalived is not None),
        "addresses": addresses(),
        "attached": attached(files_dir) if files_dir else {},
    }
