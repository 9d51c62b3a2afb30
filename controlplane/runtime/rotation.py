"""Rotate deployed files without a reload: certificates, CA files, CRL files and maps.

The entry point for anything that renews a file's content outside a full deploy (ACME
renewals, an operator's certificate upload): `rotate_files` sends the new contents to
every host of a pair in parallel through the per-host runtime agent (agent.py), and each
host, in one request:

1. writes a new version folder of settings.files_dir with the contents (owner and modes
   from the inventory, private keys 0600), so a later reload loads the same files;
2. replaces them in the running HAProxy (`set ssl cert` + `commit ssl cert`, the same for
   `ca-file` and `crl-file`, `prepare map` + `add map @ver` + `commit map`);
3. points files_dir at the new folder and proves no reload happened: the same worker pid
   answers, and `show ssl cert` reports each new certificate's SHA-1 fingerprint.

Only files the last deploy shipped can rotate (a new file needs a deploy: haproxy.cfg
must name it), and only content: what a frontend offers (crt-list) takes a reload.
The hosts' owner of the deploy lock is the caller's business (a deploy and a rotation of
the same environment must not overlap).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .pool import ChannelPool
from .ssh import SshFailed
from .targets import HostTarget

TIMEOUT_S = 15.0
# What the agent's answer adds for a certificate: its 40-hex-digit SHA-1 fingerprint.
_SHA1_LENGTH = 40


@dataclass(frozen=True)
class HostRotation:
    """One host's rotation: done and proven, or why not."""

    host: str
    ok: bool
    seconds: float  # request to proven on this host
    error: str = ""
    worker_pid: str = ""  # the worker that serves the new contents (the one from before)
    changed: bool = False  # False: the host already held these contents
    # key -> SHA-1 fingerprint HAProxy reports for each rotated certificate
    served: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "host": self.host,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "worker_pid": self.worker_pid,
            "changed": self.changed,
            "served": dict(self.served),
        }


@dataclass
class RotationResult:
    hosts: list[HostRotation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.hosts) and all(h.ok for h in self.hosts)


def rotate_files(
    channels: ChannelPool,
    targets: list[HostTarget],
    files_dir: str,
    files: Mapping[str, str],
    private: frozenset[str] | set[str] = frozenset(),
) -> RotationResult:
    """Return per-host results of giving deployed files new contents on every target.

    `files`: key under files_dir ("certs/site.pem") -> new text; `private`: the keys that
    hold a private key. The hosts go in parallel: a pair serves the new certificate on
    both hosts within one round trip each.
    """
    if not targets:
        return RotationResult()
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        results = pool.map(
            lambda t: _rotate_on(channels, t, files_dir, dict(files), set(private)), targets
        )
        return RotationResult(list(results))


def _rotate_on(
    channels: ChannelPool,
    target: HostTarget,
    files_dir: str,
    files: dict[str, str],
    private: set[str],
) -> HostRotation:
    started = time.monotonic()
    try:
        answer = channels.agent(target).rotate(
            target.haproxy_socket,
            files_dir,
            files,
            private,
            target.files_perms,
            f"{target.pending_dir.rstrip('/')}/files",
            TIMEOUT_S,
        )
    except SshFailed as failed:
        return HostRotation(target.name, False, time.monotonic() - started, failed.message)
    served = {k: v for k, v in dict(answer.get("served") or {}).items() if len(v) == _SHA1_LENGTH}
    return HostRotation(
        target.name,
        True,
        time.monotonic() - started,
        worker_pid=str(answer.get("worker") or ""),
        changed=bool(answer.get("changed")),
        served=served,
    )
