"""Throwaway certificates for tests: a CA, leaves with SANs, expired and mismatched ones.

Generated with `cryptography` (EC P-256: fast), never written outside a test's tmp_path.
`Issued.bundle()` is what HAProxy's `crt` loads: leaf, chain, key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Issued:
    """A certificate, its key, and the chain above it (issuer first)."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey = field(repr=False)
    chain: tuple[x509.Certificate, ...] = ()

    def cert_pem(self) -> str:
        return _pem(self.cert)

    def key_pem(self, password: bytes | None = None) -> str:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ).decode()

    def chain_pem(self) -> str:
        return "".join(_pem(c) for c in self.chain)

    def bundle(self) -> str:
        """Leaf, chain, unencrypted key: a valid HAProxy `crt` file."""
        return self.cert_pem() + self.chain_pem() + self.key_pem()


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str = "lbctl test CA", *, issuer: Issued | None = None) -> Issued:
    """A CA certificate, self-signed or (with `issuer`) an intermediate."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    cert = builder.sign(signer_key, hashes.SHA256())
    chain = (issuer.cert, *issuer.chain) if issuer else ()
    return Issued(cert, key, chain)


def make_leaf(
    ca: Issued,
    *names: str,
    days: int = 365,
    not_before_days: int = -1,
    serial: int | None = None,
    client: bool = False,
) -> Issued:
    """A leaf issued by `ca` for DNS `names` (the first is the CN), valid for `days` from now.

    A negative `days` gives a certificate that has already expired. The chain is `ca` and the
    CA's own chain, without a self-signed root (as servers send it) unless `ca` is the root.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    common_name = names[0] if names else "client"
    start = now + timedelta(days=not_before_days)
    end = now + timedelta(days=days)
    if end <= start:
        start = end - timedelta(days=30)
    usage = x509.ExtendedKeyUsageOID.CLIENT_AUTH if client else x509.ExtendedKeyUsageOID.SERVER_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    cert = builder.sign(ca.key, hashes.SHA256())
    return Issued(cert, key, (ca.cert, *ca.chain))


def make_crl(ca: Issued, *revoked: Issued, next_update_days: int = 7) -> str:
    """A PEM CRL signed by `ca` revoking `revoked`."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=next_update_days))
    )
    for leaf in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(leaf.cert.serial_number)
            .revocation_date(now - timedelta(hours=1))
            .build()
        )
    crl = builder.sign(ca.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM).decode()
