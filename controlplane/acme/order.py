"""One ACME order, start to chain: account, order, HTTP-01 challenges, finalize, download.

The protocol is the `acme` library's (the certbot project's client); this module decides
only lbctl's part: which key signs, how a challenge is published and withdrawn, how long to
wait, and what a failure says. Nothing here logs a key; the library logs requests at debug
level, and those carry public JWKs, CSRs and certificates only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, cast

import josepy
import requests
from acme import challenges, client, crypto_util, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .keys import new_certificate_key

USER_AGENT = "lbctl-acme"
DEFAULT_TIMEOUT_S = 90.0


class AcmeOrderFailed(Exception):
    """The ACME server refused or the order did not complete; the message says where."""


class ChallengeResponder(Protocol):
    """Serves `key_authorization` at http://DOMAIN/.well-known/acme-challenge/TOKEN."""

    def publish(self, token: str, key_authorization: str) -> None:
        """Serve the answer; raise when it could not be published everywhere it must be."""

    def withdraw(self, token: str) -> None:
        """Stop serving the answer (best effort: a left-over answer is harmless)."""


@dataclass(frozen=True)
class IssuedCertificate:
    """What an order produced: the chain (leaf first) and its fresh key, as PEM text."""

    chain_pem: str
    key_pem: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    serial: int
    account_uri: str

    @property
    def pem(self) -> str:
        """The chain and the key in one PEM file, as HAProxy's `crt` loads it."""
        return self.chain_pem.rstrip("\n") + "\n" + self.key_pem

    def __repr__(self) -> str:  # the key never reaches a log through repr()
        return f"IssuedCertificate(serial={self.serial:x}, not_after={self.not_after.isoformat()})"


def order_certificate(
    directory_url: str,
    account_key_pem: str,
    domains: list[str],
    responder: ChallengeResponder,
    contact: str | None = None,
    ca_bundle: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> IssuedCertificate:
    """Return a certificate for `domains` from the ACME server at `directory_url`.

    Registers the account (or finds it: the key is the account), orders, answers every
    pending HTTP-01 challenge through `responder` (withdrawn again whatever happens),
    finalizes with a CSR from a fresh key and downloads the chain. `ca_bundle` is the CA
    file that verifies the ACME server's own TLS (a test server's), else the system's.
    Raises AcmeOrderFailed.
    """
    if not domains:
        raise AcmeOrderFailed("an ACME order needs at least one domain")
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout_s)
    try:
        acme = _client(directory_url, account_key_pem, ca_bundle, timeout_s)
        account_uri = _register(acme, contact)
        key_pem = new_certificate_key()
        csr = crypto_util.make_csr(key_pem.encode(), domains)
        order = acme.new_order(csr)
        with _answered(acme, order, responder):
            order = acme.poll_and_finalize(order, deadline)
    except errors.ValidationError as exc:
        raise AcmeOrderFailed(_validation_failure(exc)) from None
    except errors.TimeoutError:
        raise AcmeOrderFailed(f"the order at {directory_url} did not complete in time") from None
    except messages.Error as exc:
        raise AcmeOrderFailed(f"the ACME server refused: {exc}") from None
    except (errors.Error, requests.RequestException) as exc:
        raise AcmeOrderFailed(f"ACME server {directory_url}: {exc}") from None
    chain = order.fullchain_pem
    if not chain:
        raise AcmeOrderFailed("the ACME server finalized the order without a certificate")
    leaf = x509.load_pem_x509_certificate(chain.encode())
    return IssuedCertificate(
        chain_pem=chain,
        key_pem=key_pem,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        serial=leaf.serial_number,
        account_uri=account_uri,
    )


def _client(
    directory_url: str, account_key_pem: str, ca_bundle: str | None, timeout_s: float
) -> client.ClientV2:
    key = serialization.load_pem_private_key(account_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AcmeOrderFailed("the ACME account key must be an RSA key")
    # requests takes a CA file path where the library's signature says bool.
    verify = cast(bool, ca_bundle) if ca_bundle else True
    net = client.ClientNetwork(
        josepy.JWKRSA(key=key),
        alg=josepy.RS256,
        verify_ssl=verify,
        user_agent=USER_AGENT,
        timeout=int(timeout_s),
    )
    return client.ClientV2(client.ClientV2.get_directory(directory_url, net), net)


def _register(acme: client.ClientV2, contact: str | None) -> str:
    """Return the account's URI: a new account, or the existing one of this key."""
    registration = messages.NewRegistration(
        contact=(contact,) if contact else (), terms_of_service_agreed=True
    )
    try:
        return str(acme.new_account(registration).uri)
    except errors.ConflictError as exists:  # the key already has an account: reuse it
        acme.net.account = messages.RegistrationResource(
            uri=exists.location, body=messages.Registration()
        )
        return str(exists.location)


@contextmanager
def _answered(
    acme: client.ClientV2, order: messages.OrderResource, responder: ChallengeResponder
) -> Iterator[None]:
    """Publish and answer each pending HTTP-01 challenge; withdraw them all on the way out."""
    published: list[str] = []
    try:
        for authz in order.authorizations:
            if authz.body.status == messages.STATUS_VALID:
                continue  # the server still trusts an earlier proof for this domain
            challenge = _http01(authz)
            response, validation = challenge.chall.response_and_validation(acme.net.key)
            token = challenge.chall.encode("token")
            responder.publish(token, validation)
            published.append(token)
            acme.answer_challenge(challenge, response)
        yield
    finally:
        for token in published:
            responder.withdraw(token)


def _http01(authz: messages.AuthorizationResource) -> messages.ChallengeBody:
    for challenge in authz.body.challenges:
        if isinstance(challenge.chall, challenges.HTTP01):
            return challenge
    domain = authz.body.identifier.value
    raise AcmeOrderFailed(f"the ACME server offers no http-01 challenge for {domain}")


def _validation_failure(exc: errors.ValidationError) -> str:
    reasons = []
    for authz in exc.failed_authzrs:
        domain = authz.body.identifier.value
        details = [str(c.error) for c in authz.body.challenges if c.error is not None]
        reasons.append(f"{domain}: {'; '.join(details) or authz.body.status}")
    return "the ACME server could not validate " + ", ".join(reasons)
