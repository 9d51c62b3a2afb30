"""What a PEM certificate bundle, CA bundle or CRL holds, and whether HAProxy can serve it.

The one place lbctl reads PEM text (with `cryptography`): the file flow, the store, the
change plan, the dashboard and the ACME renewer all ask this module. It returns metadata
(`CertificateInfo`, `CaBundleInfo`, `CrlInfo`) that is safe to print, log and export, and
`Finding`s (errors and warnings) in words an operator can act on. Private key material never
leaves this module: callers get the key's type and size, never the key.

A certificate bundle is what HAProxy's `crt` loads: the leaf certificate first, then the chain
(each certificate issued by the next), and the leaf's unencrypted private key.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPublicKeyTypes,
    PrivateKeyTypes,
)

#: A certificate that expires within this many days gets a warning.
EXPIRY_WARNING_DAYS = 30

Severity = Literal["error", "warning"]

# PEM block labels HAProxy accepts in a `crt` file. DH and EC parameters are legal there
# (HAProxy reads DH parameters from the certificate file); anything else is a mistake.
_KEY_LABELS = frozenset({"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY"})
_ENCRYPTED_KEY_LABEL = "ENCRYPTED PRIVATE KEY"
_PARAMETER_LABELS = frozenset({"DH PARAMETERS", "EC PARAMETERS"})
_BLOCK = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]+)-----\r?\n(?P<body>.*?)-----END (?P=label)-----",
    re.DOTALL,
)


class PemError(ValueError):
    """The text is not a usable PEM bundle; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Finding:
    """One problem with a file's contents: an error refuses the file, a warning is shown."""

    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


@dataclass(frozen=True)
class CertificateInfo:
    """Metadata of one certificate bundle's leaf: safe to print, log, diff and export.

    `serial` is upper-case hex (as `openssl x509 -serial` and HAProxy's `show ssl cert` print
    it, without their leading zero byte). Fingerprints are upper-case hex without separators,
    as HAProxy prints its SHA-1 one; `fingerprint_sha1` is there because HAProxy 2.6's runtime
    API reports only that one for a loaded certificate.
    """

    name: str
    subject: str
    sans: tuple[str, ...]
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str
    fingerprint_sha1: str
    key_type: str
    key_size: int
    chain_length: int = 0

    def days_left(self, now: datetime | None = None) -> int:
        """Whole days until not_after (negative once expired)."""
        return (self.not_after - _now(now)).days

    def host_names(self) -> tuple[str, ...]:
        """The DNS names the certificate is valid for: its SANs, else its subject CN."""
        return self.sans or _common_names(self.subject)

    def covers(self, host_name: str) -> bool:
        """True when the certificate is valid for `host_name` (one-label wildcards)."""
        return any(_name_matches(pattern, host_name) for pattern in self.host_names())

    def to_dict(self, now: datetime | None = None) -> dict[str, object]:
        """JSON-ready metadata (ISO 8601 UTC times, days_left as of `now`)."""
        return {
            "name": self.name,
            "subject": self.subject,
            "sans": list(self.sans),
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "days_left": self.days_left(now),
            "fingerprint_sha256": self.fingerprint_sha256,
            "fingerprint_sha1": self.fingerprint_sha1,
            "key_type": self.key_type,
            "key_size": self.key_size,
            "chain_length": self.chain_length,
        }


@dataclass(frozen=True)
class CertificateReport:
    """What inspecting a certificate bundle found: metadata when it parsed, and findings."""

    name: str
    info: CertificateInfo | None
    findings: tuple[Finding, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when nothing refuses the bundle (warnings allowed)."""
        return not self.errors


@dataclass(frozen=True)
class CaBundleInfo:
    """Metadata of a CA bundle (one or more CA certificates, no key)."""

    name: str
    certificates: tuple[CertificateInfo, ...]
    fingerprint_sha256: str

    @property
    def not_after(self) -> datetime:
        """When the first certificate in the bundle expires."""
        return min(c.not_after for c in self.certificates)

    def to_dict(self, now: datetime | None = None) -> dict[str, object]:
        return {
            "name": self.name,
            "fingerprint_sha256": self.fingerprint_sha256,
            "not_after": _iso(self.not_after),
            "certificates": [c.to_dict(now) for c in self.certificates],
        }


@dataclass(frozen=True)
class CrlInfo:
    """Metadata of a PEM certificate revocation list."""

    name: str
    issuer: str
    last_update: datetime
    next_update: datetime | None
    revoked_serials: tuple[str, ...]
    fingerprint_sha256: str

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "issuer": self.issuer,
            "last_update": _iso(self.last_update),
            "next_update": _iso(self.next_update) if self.next_update else None,
            "revoked": len(self.revoked_serials),
            "fingerprint_sha256": self.fingerprint_sha256,
        }


@dataclass(frozen=True)
class CertificateBundle:
    """A parsed certificate bundle: the certificates in file order and the private key.

    Holds the private key object: keep it inside the process; print `info`, never this.
    """

    certificates: tuple[x509.Certificate, ...]
    private_key: PrivateKeyTypes | None = field(repr=False)
    info: CertificateInfo


# --- parsing -------------------------------------------------------------------------------


def parse_certificate_bundle(
    text: str, name: str = "", *, require_key: bool = True
) -> CertificateBundle:
    """Parse a `crt` bundle: certificates (leaf first) and one unencrypted private key.

    Raises PemError when the text cannot be served at all: not PEM, no certificate, a
    certificate or key that does not parse, an encrypted key, no key (when `require_key`),
    several keys, or an unexpected PEM block. Semantic problems (a key that does not match,
    chain order, expiry) are `check_certificate_bundle`'s findings.
    """
    blocks = _pem_blocks(text)
    labels = [label for label, _ in blocks]
    if _ENCRYPTED_KEY_LABEL in labels or "Proc-Type: 4,ENCRYPTED" in text:
        raise PemError(
            "the private key is encrypted: HAProxy cannot ask for a passphrase; "
            "decrypt it first (openssl pkey -in key.pem -out plain.pem)"
        )
    unexpected = sorted({label for label in labels if label not in _BUNDLE_LABELS})
    if unexpected:
        raise PemError(
            f"unexpected PEM block {unexpected[0]!r}: a certificate bundle holds CERTIFICATE "
            "blocks (leaf first, then the chain) and one PRIVATE KEY"
        )
    cert_blocks = [block for label, block in blocks if label == "CERTIFICATE"]
    if not cert_blocks:
        raise PemError(
            "no certificate: expected PEM text with a '-----BEGIN CERTIFICATE-----' block "
            "(leaf first, then the chain, then the private key)"
        )
    certificates = tuple(
        _load_certificate(block, position) for position, block in enumerate(cert_blocks, 1)
    )
    key_blocks = [block for label, block in blocks if label in _KEY_LABELS]
    if len(key_blocks) > 1:
        raise PemError(f"{len(key_blocks)} private keys: a bundle holds exactly one, the leaf's")
    if not key_blocks and require_key:
        raise PemError(
            "no private key: append the leaf's unencrypted key "
            "('-----BEGIN PRIVATE KEY-----') to the bundle"
        )
    private_key = _load_private_key(key_blocks[0]) if key_blocks else None
    return CertificateBundle(certificates, private_key, certificate_info(certificates, name))


def certificate_info(certificates: Sequence[x509.Certificate], name: str = "") -> CertificateInfo:
    """Metadata of a bundle's leaf (the first certificate) and its chain length."""
    leaf = certificates[0]
    key_type, key_size = _key_description(leaf.public_key())
    return CertificateInfo(
        name=name,
        subject=leaf.subject.rfc4514_string(),
        sans=_dns_sans(leaf),
        issuer=leaf.issuer.rfc4514_string(),
        serial=_hex_serial(leaf.serial_number),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        fingerprint_sha256=leaf.fingerprint(hashes.SHA256()).hex().upper(),
        fingerprint_sha1=leaf.fingerprint(hashes.SHA1()).hex().upper(),
        key_type=key_type,
        key_size=key_size,
        chain_length=len(certificates) - 1,
    )


# --- checks --------------------------------------------------------------------------------


def check_certificate_bundle(
    bundle: CertificateBundle,
    *,
    now: datetime | None = None,
    host_names: Iterable[str] = (),
    warn_days: int = EXPIRY_WARNING_DAYS,
) -> list[Finding]:
    """Return what is wrong with a parsed bundle, errors before warnings.

    Errors: the key does not match the leaf (or matches a later certificate: the leaf must be
    first), the chain is out of order, the leaf has expired. Warnings: the leaf expires within
    `warn_days` days or is not valid yet, a chain certificate expires before the leaf, and
    none of `host_names` (the names routed to the frontend serving it) is covered.
    """
    moment = _now(now)
    info = bundle.info
    errors = _key_findings(bundle) + _chain_findings(bundle.certificates)
    if info.not_after <= moment:
        errors.append(
            Finding(
                "error", f"expired on {_day(info.not_after)} (subject {info.subject}): renew it"
            )
        )
    warnings: list[Finding] = []
    if moment < info.not_after and info.days_left(moment) < warn_days:
        warnings.append(
            Finding(
                "warning", f"expires in {info.days_left(moment)} days, on {_day(info.not_after)}"
            )
        )
    if info.not_before > moment:
        warnings.append(Finding("warning", f"not valid before {_day(info.not_before)}"))
    for position, cert in enumerate(bundle.certificates[1:], 2):
        if cert.not_valid_after_utc <= moment:
            errors.append(
                Finding(
                    "error",
                    f"chain certificate {position} ({cert.subject.rfc4514_string()}) "
                    f"expired on {_day(cert.not_valid_after_utc)}",
                )
            )
    names = sorted({n.lower().rstrip(".") for n in host_names})
    if names and not any(info.covers(n) for n in names):
        warnings.append(
            Finding(
                "warning",
                f"covers none of the host names routed to its frontend ({', '.join(names)}); "
                f"it is valid for {', '.join(info.host_names()) or 'no DNS name'}",
            )
        )
    return errors + warnings


def inspect_certificate(
    text: str,
    name: str = "",
    *,
    now: datetime | None = None,
    host_names: Iterable[str] = (),
    warn_days: int = EXPIRY_WARNING_DAYS,
    require_key: bool = True,
) -> CertificateReport:
    """Parse and check a certificate bundle in one call; never raises for bad contents."""
    try:
        bundle = parse_certificate_bundle(text, name, require_key=require_key)
    except PemError as exc:
        return CertificateReport(name, None, (Finding("error", str(exc)),))
    findings = check_certificate_bundle(bundle, now=now, host_names=host_names, warn_days=warn_days)
    return CertificateReport(name, bundle.info, tuple(findings))


def inspect_ca_bundle(
    text: str, name: str = "", *, now: datetime | None = None
) -> tuple[CaBundleInfo | None, list[Finding]]:
    """Metadata and findings for a CA bundle: CA certificates only, no key.

    Errors: not PEM, a private key in the bundle (a CA bundle is public: it is shipped readable
    by HAProxy), a certificate that does not parse. Warnings: an expired certificate, a
    certificate that is not a CA.
    """
    try:
        blocks = _pem_blocks(text)
        if any(label in _KEY_LABELS or label == _ENCRYPTED_KEY_LABEL for label, _ in blocks):
            raise PemError("a CA bundle holds certificates only: remove the private key")
        others = sorted({label for label, _ in blocks if label != "CERTIFICATE"})
        if others:
            raise PemError(
                f"unexpected PEM block {others[0]!r}: a CA bundle holds CERTIFICATE blocks"
            )
        certs = [
            _load_certificate(block, position) for position, (_, block) in enumerate(blocks, 1)
        ]
        if not certs:
            raise PemError(
                "no certificate: expected PEM text with '-----BEGIN CERTIFICATE-----' blocks"
            )
    except PemError as exc:
        return None, [Finding("error", str(exc))]
    moment = _now(now)
    infos = tuple(certificate_info([c], name) for c in certs)
    findings: list[Finding] = []
    for position, (cert, info) in enumerate(zip(certs, infos, strict=True), 1):
        if info.not_after <= moment:
            findings.append(
                Finding(
                    "warning",
                    f"certificate {position} ({info.subject}) expired on {_day(info.not_after)}",
                )
            )
        if not _is_ca(cert):
            findings.append(
                Finding(
                    "warning", f"certificate {position} ({info.subject}) is not a CA certificate"
                )
            )
    digest = hashes.Hash(hashes.SHA256())
    for cert in certs:
        digest.update(cert.public_bytes(serialization.Encoding.DER))
    return CaBundleInfo(name, infos, digest.finalize().hex().upper()), findings


def inspect_crl(
    text: str,
    name: str = "",
    *,
    now: datetime | None = None,
    ca_bundle: str | None = None,
) -> tuple[CrlInfo | None, list[Finding]]:
    """Metadata and findings for a PEM CRL, optionally checked against its CA bundle's text.

    Errors: not a PEM CRL, a signature no certificate of `ca_bundle` made. Warning: the CRL's
    next update has passed (HAProxy then refuses clients when it verifies with `crl-file`).
    """
    blocks = _pem_blocks(text)
    crl_blocks = [block for label, block in blocks if label == "X509 CRL"]
    if len(crl_blocks) != 1 or len(blocks) != 1:
        return None, [
            Finding("error", "expected exactly one '-----BEGIN X509 CRL-----' block (PEM, not DER)")
        ]
    try:
        crl = x509.load_pem_x509_crl(crl_blocks[0].encode())
    except ValueError:
        return None, [Finding("error", "the X509 CRL block does not parse as a CRL")]
    next_update = crl.next_update_utc
    info = CrlInfo(
        name=name,
        issuer=crl.issuer.rfc4514_string(),
        last_update=crl.last_update_utc,
        next_update=next_update,
        revoked_serials=tuple(_hex_serial(r.serial_number) for r in crl),
        fingerprint_sha256=crl.fingerprint(hashes.SHA256()).hex().upper(),
    )
    findings: list[Finding] = []
    if ca_bundle is not None:
        issuers = [b for label, b in _pem_blocks(ca_bundle) if label == "CERTIFICATE"]
        signed = False
        for block in issuers:
            try:
                cert = x509.load_pem_x509_certificate(block.encode())
            except ValueError:
                continue
            if cert.subject == crl.issuer and _crl_signed_by(crl, cert):
                signed = True
                break
        if not signed:
            findings.append(
                Finding(
                    "error",
                    f"not signed by any certificate of its CA bundle (issuer {info.issuer})",
                )
            )
    if next_update is not None and next_update <= _now(now):
        findings.append(
            Finding("warning", f"next update was due on {_day(next_update)}: publish a fresh CRL")
        )
    return info, findings


def private_key_in(text: str) -> bool:
    """True when `text` holds a private key block (encrypted or not): such text is secret."""
    return (
        any(label in _KEY_LABELS or label == _ENCRYPTED_KEY_LABEL for label, _ in _pem_blocks(text))
        or "PRIVATE KEY-----" in text
    )


# --- internals -----------------------------------------------------------------------------

_BUNDLE_LABELS = frozenset({"CERTIFICATE"}) | _KEY_LABELS | _PARAMETER_LABELS


def _pem_blocks(text: str) -> list[tuple[str, str]]:
    """(label, whole block text) of each PEM block, in order; explanatory text is skipped."""
    return [(m.group("label"), m.group(0) + "\n") for m in _BLOCK.finditer(text)]


def _load_certificate(block: str, position: int) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(block.encode())
    except ValueError:
        raise PemError(f"certificate {position} is not a valid PEM certificate") from None


def _load_private_key(block: str) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(block.encode(), password=None)
    except TypeError:
        # cryptography raises TypeError for a key that needs a password.
        raise PemError(
            "the private key is encrypted: HAProxy cannot ask for a passphrase; "
            "decrypt it first (openssl pkey -in key.pem -out plain.pem)"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise PemError("the private key does not parse (damaged or unsupported key type)") from None


def _key_findings(bundle: CertificateBundle) -> list[Finding]:
    if bundle.private_key is None:
        return []
    key_spki = _spki(bundle.private_key.public_key())
    if key_spki == _spki(bundle.certificates[0].public_key()):
        return []
    for position, cert in enumerate(bundle.certificates[1:], 2):
        if key_spki == _spki(cert.public_key()):
            return [
                Finding(
                    "error",
                    f"the private key belongs to certificate {position} "
                    f"({cert.subject.rfc4514_string()}): put the leaf certificate first",
                )
            ]
    return [
        Finding(
            "error",
            f"the private key does not match the certificate ({bundle.info.subject}): "
            "bundle the key that was used to request it",
        )
    ]


def _chain_findings(certificates: Sequence[x509.Certificate]) -> list[Finding]:
    for position, (cert, issuer) in enumerate(itertools.pairwise(certificates), 1):
        if cert.issuer != issuer.subject or not _signed_by(cert, issuer):
            return [
                Finding(
                    "error",
                    f"chain out of order: certificate {position} ({cert.subject.rfc4514_string()}) "
                    f"is not issued by certificate {position + 1} "
                    f"({issuer.subject.rfc4514_string()}); order the file leaf, intermediate, ...",
                )
            ]
    return []


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    if not isinstance(
        key,
        (
            rsa.RSAPublicKey,
            ec.EllipticCurvePublicKey,
            dsa.DSAPublicKey,
            ed25519.Ed25519PublicKey,
            ed448.Ed448PublicKey,
        ),
    ):
        return False
    checked: CertificateIssuerPublicKeyTypes = key
    return crl.is_signature_valid(checked)


def _spki(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _key_description(public_key: object) -> tuple[str, int]:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA", public_key.key_size
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC {public_key.curve.name}", public_key.curve.key_size
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA", public_key.key_size
    return type(public_key).__name__, 0


def _dns_sans(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    dns = ext.value.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in ext.value.get_values_for_type(x509.IPAddress)]
    return tuple(dns) + tuple(ips)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _common_names(subject: str) -> tuple[str, ...]:
    return tuple(part[3:] for part in subject.split(",") if part.upper().startswith("CN="))


def _name_matches(pattern: str, host_name: str) -> bool:
    pattern = pattern.lower().rstrip(".")
    host_name = host_name.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host_name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host_name


def _hex_serial(serial: int) -> str:
    text = format(serial, "X")
    return text if len(text) % 2 == 0 else "0" + text


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
