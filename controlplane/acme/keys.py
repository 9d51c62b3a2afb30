"""The keys of ACME: the account's (signs every request) and a fresh one per certificate."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def new_account_key() -> str:
    """Return a new RSA-2048 account key as unencrypted PKCS#8 PEM.

    RSA with RS256 is the one JWS algorithm every ACME server accepts; the caller stores
    the PEM encrypted (it is the account: whoever holds it can revoke its certificates).
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _pem(key)


def new_certificate_key() -> str:
    """Return a new ECDSA P-256 key for one certificate, as unencrypted PKCS#8 PEM.

    A fresh key per order, so a renewal also rotates the key; unencrypted because HAProxy
    loads it without a passphrase (the store encrypts it at rest).
    """
    return _pem(ec.generate_private_key(ec.SECP256R1()))


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
