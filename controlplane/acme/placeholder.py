"""A self-signed stand-in for an ACME certificate that was never issued yet.

HTTP-01 needs the pair to answer the challenge, so the config that serves the certificate
(and the challenge route) must be deployed before the first order; that config names the
certificate's file, which must exist. The stand-in fills that file for one deploy, and the
order replaces it at run time minutes later. Its issuer names it, so nothing mistakes it
for an issued certificate (`is_placeholder`).
"""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .keys import new_certificate_key

PLACEHOLDER_ISSUER = "lbctl ACME placeholder"
# Long enough that a CA failing for weeks never leaves an expired file, which render refuses
# (so no deploy of the environment could go through); the alerts say it is a stand-in first.
PLACEHOLDER_LIFETIME = datetime.timedelta(days=90)


def placeholder_certificate(domains: list[str], now: datetime.datetime | None = None) -> str:
    """Return a self-signed certificate for `domains` and its key, as one PEM bundle."""
    now = now or datetime.datetime.now(datetime.UTC)
    key_pem = new_certificate_key()
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, domains[0]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, PLACEHOLDER_ISSUER),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + PLACEHOLDER_LIFETIME)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode() + key_pem


def is_placeholder(issuer: str | None) -> bool:
    """Return whether a stored certificate's issuer (RFC 4514 text) is the stand-in's."""
    return bool(issuer) and PLACEHOLDER_ISSUER in str(issuer)
