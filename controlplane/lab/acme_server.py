"""A real ACME server for tests: Debian's `pebble`, with a one-answer DNS in front of it.

Pebble validates HTTP-01 for real: it resolves the domain and fetches
http://DOMAIN:HTTP_PORT/.well-known/acme-challenge/TOKEN. `pebble-challtestsrv` (same
package) answers every A query with one address (the lab's VIP, or loopback) and nothing
else, so any test domain resolves to the HAProxy under test. Both run on loopback on free
ports, started and stopped by pid (also when the test fails); PEBBLE_VA_ALWAYS_VALID is
never set, so a certificate is issued only after the challenge was really fetched.

Pebble serves its API over TLS with a certificate made here, by a throwaway CA whose file
the ACME client is given (`ca_bundle`). Its issuing CA is a new one per start: `roots()`
returns it, to verify what HAProxy serves.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .errors import LabError

PEBBLE = "/usr/bin/pebble"
CHALLTESTSRV = "/usr/bin/pebble-challtestsrv"
LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class AcmeTestServer:
    """A running pebble: where its directory is and the CA file that verifies its TLS."""

    directory_url: str
    management_url: str
    ca_bundle: Path
    pebble_pid: int
    dns_pid: int

    def roots(self) -> str:
        """Return the PEM of the root that signs what this pebble issues."""
        answer = requests.get(
            f"{self.management_url}/roots/0", verify=str(self.ca_bundle), timeout=5
        )
        answer.raise_for_status()
        return answer.text

    def intermediates(self) -> str:
        answer = requests.get(
            f"{self.management_url}/intermediates/0", verify=str(self.ca_bundle), timeout=5
        )
        answer.raise_for_status()
        return answer.text


@contextlib.contextmanager
def running_pebble(
    workdir: Path, resolve_to: str, http_port: int = 80, validity_s: int | None = None
) -> Iterator[AcmeTestServer]:
    """Run pebble and its DNS until the block ends; every domain resolves to `resolve_to`.

    `http_port` is where pebble fetches HTTP-01 answers; `validity_s` the lifetime of the
    certificates it issues (pebble's default otherwise).
    """
    if not (os.access(PEBBLE, os.X_OK) and os.access(CHALLTESTSRV, os.X_OK)):
        raise LabError("pebble is not installed (apt-get install pebble)")
    ipaddress.IPv4Address(resolve_to)  # an address, never a name to look up
    workdir.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = _tls_files(workdir)
    api, management, dns, dns_management = (_free_port() for _ in range(4))
    config = {
        "pebble": {
            "listenAddress": f"{LOOPBACK}:{api}",
            "managementListenAddress": f"{LOOPBACK}:{management}",
            "certificate": str(cert_file),
            "privateKey": str(key_file),
            "httpPort": http_port,
            "tlsPort": 443,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
            **({"certificateValidityPeriod": validity_s} if validity_s else {}),
        }
    }
    config_file = workdir / "pebble-config.json"
    config_file.write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEBBLE_")}
    # No artificial validation delay, a fresh challenge for every order (no reused
    # authorizations), every nonce accepted; and never PEBBLE_VA_ALWAYS_VALID.
    env |= {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_AUTHZREUSE": "0", "PEBBLE_WFE_NONCEREJECT": "0"}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with open(workdir / "challtestsrv.log", "ab") as log:
            processes.append(
                subprocess.Popen(
                    [
                        *(CHALLTESTSRV, "-defaultIPv4", resolve_to, "-defaultIPv6", ""),
                        *("-dns01", f"{LOOPBACK}:{dns}"),
                        *("-management", f"{LOOPBACK}:{dns_management}"),
                        *("-http01", "", "-https01", "", "-tlsalpn01", ""),
                    ],
                    stdout=log,
                    stderr=log,
                    stdin=subprocess.DEVNULL,
                )
            )
        with open(workdir / "pebble.log", "ab") as log:
            processes.append(
                subprocess.Popen(
                    [PEBBLE, "-config", str(config_file), "-dnsserver", f"{LOOPBACK}:{dns}"],
                    stdout=log,
                    stderr=log,
                    stdin=subprocess.DEVNULL,
                    env=env,
                )
            )
        server = AcmeTestServer(
            directory_url=f"https://{LOOPBACK}:{api}/dir",
            management_url=f"https://{LOOPBACK}:{management}",
            ca_bundle=ca_file,
            pebble_pid=processes[1].pid,
            dns_pid=processes[0].pid,
        )
        _wait_until_up(server, processes, workdir)
        yield server
    finally:
        for process in reversed(processes):
            _stop(process)


def _wait_until_up(
    server: AcmeTestServer, processes: list[subprocess.Popen[bytes]], workdir: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        with contextlib.suppress(requests.RequestException):
            requests.get(server.directory_url, verify=str(server.ca_bundle), timeout=1)
            return
        time.sleep(0.05)
    raise LabError(f"pebble did not start; see {workdir}/pebble.log and challtestsrv.log")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End one process we started, by its pid: SIGTERM, then SIGKILL after a grace."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _tls_files(workdir: Path) -> tuple[Path, Path, Path]:
    """Write a throwaway CA and pebble's listener certificate (127.0.0.1) signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lbctl test ACME listener CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOOPBACK)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.IPv4Address(LOOPBACK)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (workdir / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file
