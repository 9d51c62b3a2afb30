"""Certificate drift: the certificate HAProxy has loaded on a host differs from the model's.

A certificate file can be replaced on a host, or rotated by hand through the runtime API,
without haproxy.cfg changing: comparing files does not see it. HAProxy's runtime API does:
`show ssl cert <path>` reports the SHA-1 fingerprint of what it serves under that name
(2.6 reports no SHA-256 one). Here the expected fingerprint of each certificate a host's
rendering ships is compared with that answer.

Measured on HAProxy 2.6.12: the answer is lines `Name: value`, among them
`SHA1 FingerPrint: E18C...E9E5` and `Serial: 5D4B...`; a name HAProxy does not hold
answers with a line that has no fingerprint.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from ..model.certificates import PemError, parse_certificate_bundle
from ..render import Rendered
from .drift import Difference

FINGERPRINT_LINE = "SHA1 FingerPrint:"
# Asks one host's HAProxy `show ssl cert` for each path; path -> answer text, or raises.
AskHost = Callable[[str, list[str]], dict[str, str]]


@dataclass(frozen=True)
class ExpectedCertificate:
    """A certificate a host should serve: where HAProxy names it, and its fingerprint."""

    path: str  # absolute path on the host, as haproxy.cfg names it
    name: str  # the model's name
    sha1: str  # upper-case hex, as HAProxy prints it


def expected_certificates(rendered: Rendered) -> dict[str, list[ExpectedCertificate]]:
    """Return host -> the certificates its rendering ships, with their fingerprints."""
    found: dict[str, list[ExpectedCertificate]] = {}
    for host in rendered.hosts:
        wanted = []
        for key, attached in sorted(host.attached.items()):
            if attached.kind != "certificate":
                continue
            try:
                info = parse_certificate_bundle(attached.text, attached.name).info
            except PemError:
                continue  # validation refused it before any deploy: nothing is served
            path = posixpath.join(rendered.files_dir, key)
            wanted.append(ExpectedCertificate(path, attached.name, info.fingerprint_sha1))
        found[host.host] = wanted
    return found


def served_fingerprint(answer: str) -> str | None:
    """Return the SHA-1 fingerprint in a `show ssl cert <path>` answer, None without one."""
    for line in answer.splitlines():
        if line.startswith(FINGERPRINT_LINE):
            return line[len(FINGERPRINT_LINE) :].strip().upper() or None
    return None


def certificate_drift(
    expected: dict[str, list[ExpectedCertificate]], ask: AskHost
) -> list[Difference]:
    """Return each certificate a host serves other than the model's (or not at all)."""
    found: list[Difference] = []
    for host, certificates in sorted(expected.items()):
        if not certificates:
            continue
        try:
            answers = ask(host, [c.path for c in certificates])
        except Exception as exc:  # an unreachable host is the status's finding, not ours
            found.append(
                Difference(
                    host,
                    "certificate served",
                    "runtime API",
                    "answers show ssl cert",
                    f"{type(exc).__name__}: {exc}"[:300],
                )
            )
            continue
        for certificate in certificates:
            served = served_fingerprint(answers.get(certificate.path, ""))
            if served == certificate.sha1:
                continue
            found.append(
                Difference(
                    host,
                    "certificate served",
                    f"{certificate.name} ({certificate.path})",
                    f"sha1 {certificate.sha1}",
                    f"sha1 {served}" if served else "not loaded",
                )
            )
    return found


def ask_with_runtime(inventory: object, hosts: list[str]) -> tuple[AskHost, Callable[[], None]]:
    """Return an AskHost over HAProxy's runtime API (the hosts' agents), and its closer."""
    from pathlib import Path

    from ..runtime.haproxy import send
    from ..runtime.pool import ChannelPool

    pool = ChannelPool()
    targets = pool.targets(Path(str(inventory)), hosts)

    def ask(host: str, paths: list[str]) -> dict[str, str]:
        target = targets[host]
        commands = [f"show ssl cert {path}" for path in paths]
        answers = send(pool.agent(target), target.haproxy_socket, commands, 10.0)
        return dict(zip(paths, answers, strict=True))

    return ask, pool.close
