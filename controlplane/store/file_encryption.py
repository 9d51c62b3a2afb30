"""Encryption at rest of the stored files that hold a private key (certificates).

The key comes from the environment, never from the store: a copy of the database alone
(a backup, a stolen disk, a PostgreSQL dump) holds no usable private key.

    LBCTL_FILES_KEY=<key>[,<older key>...]

Each key is a Fernet key (32 random bytes, url-safe base64; `lbctl file keygen` prints a
new one). The first key encrypts; every key listed decrypts, so a key is rotated by
putting the new one first, running `lbctl file rotate-key` (every stored file encrypted
again under the first key), then dropping the old one. Fernet (AES-128-CBC with an
HMAC-SHA256 over the token) comes from `cryptography`: no cipher mode is hand-made here.

Without the variable, a certificate can be neither stored nor read (FilesKeyMissing):
there is no plaintext fallback. Listing metadata needs no key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import StoreError

FILES_KEY_ENV = "LBCTL_FILES_KEY"


@dataclass
class FilesKeyMissing(StoreError):
    """LBCTL_FILES_KEY is unset or malformed: private keys cannot be stored or read."""

    problem: str = "is not set"

    def __str__(self) -> str:
        return (
            f"{FILES_KEY_ENV} {self.problem}: the store keeps certificates' private keys "
            f"only encrypted. Create a key with `lbctl file keygen` and set {FILES_KEY_ENV} "
            "in the environment of the control plane and of the CLI (docs/tls.md)"
        )


@dataclass
class FilesKeyWrong(StoreError):
    """No key in LBCTL_FILES_KEY decrypts a stored file (or its content was altered)."""

    what: str
    key_id: str

    def __str__(self) -> str:
        return (
            f"no key in {FILES_KEY_ENV} decrypts {self.what} (encrypted under key id "
            f"{self.key_id}): set the key it was stored with, first or after the new one"
        )


def new_key() -> str:
    """Return a new random key in the form LBCTL_FILES_KEY takes."""
    return Fernet.generate_key().decode()


def key_id(key: bytes) -> str:
    """Return a short public name of a key (8 hex digits), to say which key a row needs.

    A truncated, domain-separated hash of 32 random bytes: it names the key and cannot
    help guess it.
    """
    return hashlib.sha256(b"lbctl files key id\n" + key).hexdigest()[:8]


@dataclass(frozen=True)
class FilesKeys:
    """The keys of LBCTL_FILES_KEY: the first encrypts, all decrypt."""

    keys: tuple[bytes, ...]

    @classmethod
    def from_environ(cls) -> FilesKeys:
        """Return the configured keys; raises FilesKeyMissing when unset or malformed."""
        raw = os.environ.get(FILES_KEY_ENV, "")
        parts = tuple(part.strip().encode() for part in raw.split(",") if part.strip())
        if not parts:
            raise FilesKeyMissing()
        for number, part in enumerate(parts, 1):
            try:
                Fernet(part)
            except ValueError:
                raise FilesKeyMissing(
                    f"holds a malformed key (number {number}): each key is 32 bytes in "
                    "url-safe base64, as `lbctl file keygen` prints"
                ) from None
        return cls(parts)

    @property
    def current_id(self) -> str:
        return key_id(self.keys[0])

    def encrypt(self, plaintext: str) -> str:
        """Return the Fernet token of `plaintext` under the first key."""
        return Fernet(self.keys[0]).encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str, what: str, stored_key_id: str) -> str:
        """Return the plaintext of a token; raises FilesKeyWrong when no key opens it."""
        try:
            return self._all().decrypt(token.encode()).decode()
        except InvalidToken:
            raise FilesKeyWrong(what, stored_key_id) from None

    def rotate(self, token: str, what: str, stored_key_id: str) -> str:
        """Return the token encrypted again under the first key."""
        try:
            return self._all().rotate(token.encode()).decode()
        except InvalidToken:
            raise FilesKeyWrong(what, stored_key_id) from None

    def _all(self) -> MultiFernet:
        return MultiFernet([Fernet(key) for key in self.keys])
