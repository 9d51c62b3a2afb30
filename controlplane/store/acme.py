"""What ACME needs to remember: the account key per ACME server, each certificate's renewals.

The account key is a private key (whoever holds it can revoke the account's certificates):
it is stored only as a Fernet token under LBCTL_FILES_KEY, like a certificate's key
(file_encryption.py), created on first use and never returned by any listing. A renewal
record counts failures in a row and says when the next try is allowed (acme/renewal.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..acme import RenewalState, new_account_key
from .file_encryption import FilesKeys
from .tables import AcmeAccount, AcmeRenewal, utc_now


def account_key(session: Session, directory: str) -> str:
    """Return the PEM of the account key for the ACME server at `directory`, made on first use.

    Raises FilesKeyMissing when LBCTL_FILES_KEY is unset (no key is made then), FilesKeyWrong
    when no listed key opens the stored one.
    """
    keys = FilesKeys.from_environ()
    row = session.get(AcmeAccount, directory)
    if row is None:
        pem = new_account_key()
        session.add(AcmeAccount(directory=directory, key=keys.encrypt(pem), key_id=keys.current_id))
        session.flush()
        return pem
    return keys.decrypt(row.key, f"the ACME account key of {directory}", row.key_id)


def remember_account(session: Session, directory: str, uri: str) -> None:
    """Record the account's URI at the ACME server (shown by `lbctl acme status`)."""
    row = session.get(AcmeAccount, directory)
    if row is not None and row.uri != uri:
        row.uri = uri
        session.flush()


def rotate_account_keys(session: Session, keys: FilesKeys) -> int:
    """Encrypt every account key again under the first key; return how many changed."""
    changed = 0
    for row in session.scalars(select(AcmeAccount)):
        if row.key_id != keys.current_id:
            row.key = keys.rotate(row.key, f"the ACME account key of {row.directory}", row.key_id)
            row.key_id = keys.current_id
            changed += 1
    session.flush()
    return changed


def renewal_state(session: Session, name: str) -> RenewalState:
    """Return the certificate's renewal record (a fresh one when it never failed)."""
    row = session.get(AcmeRenewal, name)
    if row is None:
        return RenewalState()
    return RenewalState(row.failures, row.last_error, row.next_attempt_at)


def record_renewal(
    session: Session, name: str, state: RenewalState, now: datetime | None = None
) -> None:
    """Save the certificate's renewal record after a try (`state.failures` 0: it succeeded)."""
    now = now or utc_now()
    row = session.get(AcmeRenewal, name)
    if row is None:
        row = AcmeRenewal(name=name)
        session.add(row)
    row.failures = state.failures
    row.last_error = state.last_error[:2000]
    row.next_attempt_at = state.next_attempt_at
    row.last_attempt_at = now
    if state.failures == 0:
        row.last_success_at = now
    session.flush()


def list_renewals(session: Session) -> list[AcmeRenewal]:
    """Return every certificate's renewal record, by name."""
    return list(session.scalars(select(AcmeRenewal).order_by(AcmeRenewal.name)))
