"""Reading certificate bundles, CA bundles and CRLs: metadata, and the refusals in plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from controlplane.model.certificates import (
    PemError,
    inspect_ca_bundle,
    inspect_certificate,
    inspect_crl,
    parse_certificate_bundle,
    private_key_in,
)
from tests.tls_material import Issued, make_ca, make_crl, make_leaf


@pytest.fixture(scope="module")
def root() -> Issued:
    return make_ca("lbctl test root")


@pytest.fixture(scope="module")
def intermediate(root: Issued) -> Issued:
    return make_ca("lbctl test intermediate", issuer=root)


@pytest.fixture(scope="module")
def site(intermediate: Issued) -> Issued:
    return make_leaf(intermediate, "www.example.com", "*.shop.example.com", serial=0xABCDEF)


def test_a_valid_bundle_gives_its_leaf_metadata(site: Issued) -> None:
    report = inspect_certificate(site.bundle(), "site")

    assert report.ok and not report.findings
    info = report.info
    assert info is not None
    assert info.name == "site"
    assert info.subject == "CN=www.example.com"
    assert info.sans == ("www.example.com", "*.shop.example.com")
    assert info.issuer == "CN=lbctl test intermediate"
    assert info.serial == "ABCDEF"
    assert info.key_type == "EC secp256r1" and info.key_size == 256
    assert info.chain_length == 2
    assert len(info.fingerprint_sha256) == 64 and info.fingerprint_sha256.isupper()
    assert 364 <= info.days_left() <= 365


def test_metadata_as_json_holds_no_key_material(site: Issued) -> None:
    info = inspect_certificate(site.bundle(), "site").info
    assert info is not None

    as_text = repr(info.to_dict()) + repr(info) + repr(parse_certificate_bundle(site.bundle()))

    assert "PRIVATE" not in as_text
    key_body = site.key_pem().splitlines()[1]
    assert key_body not in as_text


def test_wildcard_san_covers_one_label_only(site: Issued) -> None:
    info = inspect_certificate(site.bundle()).info
    assert info is not None

    assert info.covers("a.shop.example.com")
    assert info.covers("WWW.example.com.")
    assert not info.covers("a.b.shop.example.com")
    assert not info.covers("shop.example.com")


def test_a_key_from_another_certificate_is_refused(site: Issued, intermediate: Issued) -> None:
    other = make_leaf(intermediate, "other.example.com")
    text = site.cert_pem() + site.chain_pem() + other.key_pem()

    report = inspect_certificate(text, "site")

    assert [f.message for f in report.errors] == [
        "the private key does not match the certificate (CN=www.example.com): "
        "bundle the key that was used to request it"
    ]


def test_a_leaf_after_its_chain_is_refused_with_the_fix(site: Issued) -> None:
    text = site.chain_pem() + site.cert_pem() + site.key_pem()

    report = inspect_certificate(text, "site")

    assert report.errors
    assert "put the leaf certificate first" in report.errors[0].message


def test_a_chain_in_the_wrong_order_is_refused(site: Issued) -> None:
    intermediate_pem, root_pem = (
        site.chain_pem().split("-----END CERTIFICATE-----\n")[0] + "-----END CERTIFICATE-----\n",
        site.chain_pem().split("-----END CERTIFICATE-----\n")[1] + "-----END CERTIFICATE-----\n",
    )
    text = site.cert_pem() + root_pem + intermediate_pem + site.key_pem()

    report = inspect_certificate(text)

    assert len(report.errors) == 1
    assert report.errors[0].message.startswith(
        "chain out of order: certificate 1 (CN=www.example.com) is not issued by certificate 2 "
        "(CN=lbctl test root)"
    )


@pytest.mark.parametrize(
    "text",
    ["", "hello", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"],
)
def test_text_that_is_not_pem_is_refused(text: str) -> None:
    report = inspect_certificate(text, "site")

    assert report.info is None
    assert len(report.errors) == 1
    assert "certificate" in report.errors[0].message


def test_an_encrypted_key_is_refused_with_how_to_decrypt(site: Issued) -> None:
    text = site.cert_pem() + site.chain_pem() + site.key_pem(password=b"secret")

    with pytest.raises(PemError, match=r"encrypted.*openssl pkey"):
        parse_certificate_bundle(text)


def test_a_bundle_without_key_is_refused_unless_the_key_is_not_required(site: Issued) -> None:
    assert "no private key" in inspect_certificate(site.cert_pem()).errors[0].message
    assert inspect_certificate(site.cert_pem(), require_key=False).ok


def test_two_keys_are_refused(site: Issued) -> None:
    with pytest.raises(PemError, match="2 private keys"):
        parse_certificate_bundle(site.bundle() + site.key_pem())


def test_an_unexpected_block_is_refused(site: Issued) -> None:
    crl = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"
    with pytest.raises(PemError, match="unexpected PEM block 'X509 CRL'"):
        parse_certificate_bundle(site.bundle() + crl)


def test_an_expired_certificate_is_refused(intermediate: Issued) -> None:
    old = make_leaf(intermediate, "old.example.com", days=-2)

    report = inspect_certificate(old.bundle(), "old")

    assert len(report.errors) == 1
    assert report.errors[0].message.startswith("expired on ")
    assert report.errors[0].message.endswith("(subject CN=old.example.com): renew it")


def test_a_certificate_expiring_within_30_days_warns(intermediate: Issued) -> None:
    soon = make_leaf(intermediate, "soon.example.com", days=10)

    report = inspect_certificate(soon.bundle())

    assert report.ok
    assert len(report.warnings) == 1
    assert report.warnings[0].message.startswith("expires in 9 days, on ")


def test_expiry_is_judged_at_the_given_time(site: Issued) -> None:
    later = datetime.now(UTC) + timedelta(days=400)

    report = inspect_certificate(site.bundle(), now=later)

    assert "expired on" in report.errors[0].message


def test_sans_covering_none_of_the_routed_host_names_warn(site: Issued) -> None:
    covered = inspect_certificate(site.bundle(), host_names=["api.example.com", "www.example.com"])
    uncovered = inspect_certificate(site.bundle(), host_names=["api.example.com"])

    assert not covered.findings
    assert uncovered.ok
    assert [f.message for f in uncovered.warnings] == [
        "covers none of the host names routed to its frontend (api.example.com); "
        "it is valid for www.example.com, *.shop.example.com"
    ]


def test_ca_bundle_metadata_and_a_key_inside_is_refused(root: Issued, intermediate: Issued) -> None:
    info, findings = inspect_ca_bundle(root.cert_pem() + intermediate.cert_pem(), "clients")

    assert not findings
    assert info is not None
    assert [c.subject for c in info.certificates] == [
        "CN=lbctl test root",
        "CN=lbctl test intermediate",
    ]

    _, refused = inspect_ca_bundle(root.cert_pem() + root.key_pem())
    assert [f.message for f in refused] == [
        "a CA bundle holds certificates only: remove the private key"
    ]


def test_a_leaf_in_a_ca_bundle_warns(site: Issued) -> None:
    _, findings = inspect_ca_bundle(site.cert_pem())

    assert [f.severity for f in findings] == ["warning"]
    assert "is not a CA certificate" in findings[0].message


def test_crl_metadata_and_signature_against_its_ca(
    root: Issued, intermediate: Issued, site: Issued
) -> None:
    crl = make_crl(intermediate, site)

    info, findings = inspect_crl(crl, "clients", ca_bundle=intermediate.cert_pem())
    assert not findings
    assert info is not None
    assert info.revoked_serials == ("ABCDEF",)
    assert info.issuer == "CN=lbctl test intermediate"

    _, wrong_ca = inspect_crl(crl, ca_bundle=root.cert_pem())
    assert "not signed by any certificate of its CA bundle" in wrong_ca[0].message


def test_a_crl_past_its_next_update_warns(intermediate: Issued) -> None:
    _, findings = inspect_crl(make_crl(intermediate), now=datetime.now(UTC) + timedelta(days=30))

    assert [f.severity for f in findings] == ["warning"]


def test_a_crl_that_is_not_pem_is_refused(site: Issued) -> None:
    info, findings = inspect_crl(site.cert_pem())

    assert info is None and findings[0].severity == "error"


def test_private_key_in_finds_any_key_block(site: Issued) -> None:
    assert private_key_in(site.bundle())
    assert private_key_in(site.key_pem(password=b"x"))
    assert not private_key_in(site.cert_pem())
