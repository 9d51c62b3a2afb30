"""ACME orders against a real pebble, whose HTTP-01 fetch a real HAProxy answers from its map."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

from controlplane.acme import AcmeOrderFailed, new_account_key, order_certificate
from controlplane.lab.acme_server import PEBBLE, AcmeTestServer, running_pebble

from .local_haproxy import LocalHaproxy, SocketResponder, running_haproxy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def haproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHaproxy]:
    with running_haproxy(tmp_path_factory.mktemp("haproxy")) as running:
        yield running


@pytest.fixture(scope="module")
def pebble(
    tmp_path_factory: pytest.TempPathFactory, haproxy: LocalHaproxy
) -> Iterator[AcmeTestServer]:
    if not Path(PEBBLE).exists():
        pytest.skip("Debian's pebble is not installed (make system-deps installs it)")
    with running_pebble(
        tmp_path_factory.mktemp("pebble"), "127.0.0.1", http_port=haproxy.port, validity_s=3600
    ) as server:
        yield server


@pytest.fixture(scope="module")
def account_key() -> str:
    return new_account_key()


def test_an_order_is_issued_after_haproxy_answered_the_challenge(
    pebble: AcmeTestServer, haproxy: LocalHaproxy, account_key: str
) -> None:
    responder = SocketResponder(haproxy)
    issued = order_certificate(
        pebble.directory_url,
        account_key,
        ["www.example.test", "shop.example.test"],
        responder,
        contact="mailto:ops@example.test",
        ca_bundle=str(pebble.ca_bundle),
    )
    leaf = x509.load_pem_x509_certificate(issued.chain_pem.encode())
    sans = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == [
        "shop.example.test",
        "www.example.test",
    ]
    # Two real challenges, both withdrawn again: the map is empty.
    assert len(responder.published) == 2 and responder.withdrawn == responder.published
    assert haproxy.runtime(f"show map {haproxy.map_path}").strip() == ""
    # The key is the leaf's, and the lifetime is the one pebble was told.
    key = serialization.load_pem_private_key(issued.key_pem.encode(), password=None)
    assert key.public_key() == leaf.public_key()
    assert issued.not_after - issued.not_before <= datetime.timedelta(seconds=3601)
    assert issued.pem.startswith(issued.chain_pem.rstrip("\n")) and "PRIVATE KEY" in issued.pem
    assert "PRIVATE" not in repr(issued)


def test_the_same_account_key_orders_again_with_a_fresh_certificate_key(
    pebble: AcmeTestServer, haproxy: LocalHaproxy, account_key: str
) -> None:
    first = order_certificate(
        pebble.directory_url, account_key, ["a.example.test"], SocketResponder(haproxy),
        ca_bundle=str(pebble.ca_bundle),
    )  # fmt: skip
    second = order_certificate(
        pebble.directory_url, account_key, ["a.example.test"], SocketResponder(haproxy),
        ca_bundle=str(pebble.ca_bundle),
    )  # fmt: skip
    assert first.account_uri == second.account_uri
    assert first.serial != second.serial and first.key_pem != second.key_pem


def test_a_challenge_nobody_answers_fails_naming_the_domain(
    pebble: AcmeTestServer, account_key: str
) -> None:
    class Silent:
        def publish(self, token: str, key_authorization: str) -> None:
            pass

        def withdraw(self, token: str) -> None:
            pass

    with pytest.raises(AcmeOrderFailed, match=r"could not validate nobody\.example\.test"):
        order_certificate(
            pebble.directory_url, account_key, ["nobody.example.test"], Silent(),
            ca_bundle=str(pebble.ca_bundle), timeout_s=30,
        )  # fmt: skip


def test_an_unreachable_directory_is_a_clear_failure(account_key: str) -> None:
    with pytest.raises(AcmeOrderFailed, match=r"ACME server https://127\.0\.0\.1:9/dir"):
        order_certificate("https://127.0.0.1:9/dir", account_key, ["x.example.test"], None)  # type: ignore[arg-type]


def test_the_acme_server_s_tls_is_verified(pebble: AcmeTestServer, account_key: str) -> None:
    # Without the test CA, pebble's listener certificate is not trusted: no order is sent.
    with pytest.raises(AcmeOrderFailed, match="ACME server"):
        order_certificate(pebble.directory_url, account_key, ["x.example.test"], None)  # type: ignore[arg-type]
    assert requests.get(pebble.directory_url, verify=str(pebble.ca_bundle), timeout=5).ok
