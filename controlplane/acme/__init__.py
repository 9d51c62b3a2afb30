"""ACME (RFC 8555): order a certificate with the HTTP-01 challenge, and say when to renew it.

order.py drives one order with the certbot project's `acme` library (account, order,
challenges, finalize, chain); keys.py makes the keys; renewal.py decides when a certificate
is due and how long to wait after a failed try. Answering a challenge is the caller's: a
`ChallengeResponder` (the runtime package publishes it in HAProxy's challenge map on every
host of a pair), so this package touches no host and no store.
"""

from __future__ import annotations

from .keys import new_account_key, new_certificate_key
from .order import (
    AcmeOrderFailed,
    ChallengeResponder,
    IssuedCertificate,
    order_certificate,
)
from .placeholder import is_placeholder, placeholder_certificate
from .renewal import RenewalState, next_attempt, renewal_due, renewal_time

__all__ = [
    "AcmeOrderFailed",
    "ChallengeResponder",
    "IssuedCertificate",
    "RenewalState",
    "is_placeholder",
    "new_account_key",
    "new_certificate_key",
    "next_attempt",
    "order_certificate",
    "placeholder_certificate",
    "renewal_due",
    "renewal_time",
]
