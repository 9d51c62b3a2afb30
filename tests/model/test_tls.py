"""Declared files and TLS options in the model: fields, references and their field paths."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from controlplane.model import validate_data
from controlplane.model.config_files import attached_key, crt_list_key
from tests.support import model_errors

DOCUMENT: dict[str, Any] = {
    "lb_hosts": [
        {"name": "lb-a", "address": "198.18.1.10", "interface": "ens3"},
        {"name": "lb-b", "address": "198.18.1.11", "interface": "ens3"},
    ],
    "vip_pairs": [
        {
            "name": "public",
            "hosts": ["lb-a", "lb-b"],
            "virtual_router_id": 10,
            "vips": ["198.18.1.100/24"],
        },
    ],
    "pools": [
        {
            "name": "app",
            "servers": [{"name": "a1", "address": "198.18.1.20", "port": 443, "tls": True}],
            "tls": {"ca_bundle": "internal", "client_certificate": "client", "sni": "app.internal"},
        },
    ],
    "frontends": [
        {
            "name": "web",
            "vip_pair": "public",
            "port": 443,
            "default_pool": "app",
            "tls": {
                "certificates": ["site", "shop"],
                "client_verify": {"ca_bundle": "clients", "crl": "clients"},
            },
            "error_pages": ["maintenance"],
        },
    ],
    "certificates": [
        {"name": "site", "file": "certs/site.pem"},
        {"name": "shop"},
        {"name": "client", "file": "certs/client.pem"},
    ],
    "ca_bundles": [{"name": "clients", "file": "ca/clients.pem"}, {"name": "internal"}],
    "crls": [{"name": "clients", "file": "ca/clients.crl"}],
    "maps": [{"name": "hosts", "file": "maps/hosts.map"}],
    "error_pages": [{"name": "maintenance", "status": 503, "file": "errors/503.http"}],
}


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(DOCUMENT)


def test_a_full_tls_document_is_valid_without_warnings(document: dict[str, Any]) -> None:
    loaded = validate_data(document)

    assert loaded.warnings == []
    tls = loaded.model.frontends[0].tls
    assert tls is not None and tls.certificates == ["site", "shop"]
    assert tls.alpn == ["h2", "http/1.1"]  # the v1 default is kept
    assert tls.client_verify is not None and tls.client_verify.mode == "required"
    assert loaded.model.settings.files_dir == "/etc/haproxy/lbctl"


def test_attached_keys_are_fixed_per_kind() -> None:
    assert attached_key("certificate", "site") == "certs/site.pem"
    assert attached_key("ca_bundle", "clients") == "ca/clients.pem"
    assert attached_key("crl", "clients") == "crl/clients.pem"
    assert attached_key("map", "hosts") == "maps/hosts.map"
    assert attached_key("error_page", "maintenance") == "errors/maintenance.http"
    assert crt_list_key("web") == "certs/web.crt-list"


def test_the_v1_certificate_path_still_validates(document: dict[str, Any]) -> None:
    document["frontends"][0]["tls"] = {"certificate": "/etc/haproxy/certs/site.pem"}

    assert model_errors(document) == []


def test_certificate_and_certificates_together_are_refused(document: dict[str, Any]) -> None:
    document["frontends"][0]["tls"]["certificate"] = "/etc/haproxy/certs/site.pem"

    assert model_errors(document) == [
        "frontends[web].tls: give certificate (a path on the host) or certificates (names), "
        "not both"
    ]


def test_tls_without_any_certificate_is_refused(document: dict[str, Any]) -> None:
    document["frontends"][0]["tls"] = {"alpn": ["h2"]}

    assert model_errors(document) == [
        "frontends[web].tls: needs certificates (names of certificates entries) or certificate"
    ]


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        (("frontends", 0, "tls", "certificates", 1), "shpo",
         "frontends[web].tls.certificates[1]: unknown certificate 'shpo': declare it in "
         "certificates (known: 'site', 'shop', 'client')"),
        (("frontends", 0, "tls", "client_verify", "ca_bundle"), "nope",
         "frontends[web].tls.client_verify.ca_bundle: unknown ca bundle 'nope': declare it in "
         "ca_bundles (known: 'clients', 'internal')"),
        (("frontends", 0, "tls", "client_verify", "crl"), "nope",
         "frontends[web].tls.client_verify.crl: unknown crl 'nope': declare it in crls "
         "(known: 'clients')"),
        (("pools", 0, "tls", "ca_bundle"), "nope",
         "pools[app].tls.ca_bundle: unknown ca bundle 'nope': declare it in ca_bundles "
         "(known: 'clients', 'internal')"),
        (("pools", 0, "tls", "client_certificate"), "nope",
         "pools[app].tls.client_certificate: unknown certificate 'nope': declare it in "
         "certificates (known: 'site', 'shop', 'client')"),
        (("frontends", 0, "error_pages", 0), "nope",
         "frontends[web].error_pages[0]: unknown error page 'nope': declare it in error_pages "
         "(known: 'maintenance')"),
    ],
)  # fmt: skip
def test_an_unknown_file_name_is_refused_with_its_path(
    document: dict[str, Any], where: tuple[Any, ...], value: str, expected: str
) -> None:
    node: Any = document
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value

    assert expected in model_errors(document)


@pytest.mark.parametrize("section", ["certificates", "ca_bundles", "crls", "maps", "error_pages"])
def test_a_duplicate_file_name_is_refused(document: dict[str, Any], section: str) -> None:
    document[section].append(copy.deepcopy(document[section][0]))
    index = len(document[section]) - 1
    name = document[section][0]["name"]

    assert f"{section}[{index}].name: duplicate name {name!r} (also {section}[0])" in (
        model_errors(document)
    )


def test_a_certificate_listed_twice_on_a_frontend_is_refused(document: dict[str, Any]) -> None:
    document["frontends"][0]["tls"]["certificates"] = ["site", "site"]

    assert "frontends[web].tls.certificates[1]: 'site' is listed twice (also certificates[0])" in (
        model_errors(document)
    )


def test_two_error_pages_for_one_status_are_refused(document: dict[str, Any]) -> None:
    document["error_pages"].append({"name": "other", "status": 503, "file": "errors/x.http"})
    document["frontends"][0]["error_pages"] = ["maintenance", "other"]

    assert model_errors(document) == [
        "frontends[web].error_pages[1]: 'maintenance' already answers status 503 here"
    ]


def test_hsts_on_a_tcp_frontend_is_refused(document: dict[str, Any]) -> None:
    document["frontends"][0]["mode"] = "tcp"
    document["frontends"][0]["tls"]["hsts"] = {"max_age": 600}

    assert model_errors(document) == [
        "frontends[web].tls.hsts: HSTS is an HTTP header: it needs mode: http"
    ]


def test_hsts_preload_needs_a_year_and_subdomains(document: dict[str, Any]) -> None:
    document["frontends"][0]["tls"]["hsts"] = {"max_age": 600, "preload": True}

    assert model_errors(document) == [
        "frontends[web].tls.hsts: preload needs include_subdomains: true and max_age of at "
        "least 31536000 (one year)"
    ]


def test_pool_ca_bundle_with_tls_ca_file_or_no_verify_is_refused(
    document: dict[str, Any],
) -> None:
    document["pools"][0]["tls_ca_file"] = "/etc/ssl/ca.pem"
    assert model_errors(document) == [
        "pools[app].tls.ca_bundle: give tls_ca_file (a path on the host) or tls.ca_bundle, not both"
    ]
    del document["pools"][0]["tls_ca_file"]
    document["pools"][0]["tls_verify"] = "none"
    assert model_errors(document) == [
        "pools[app].tls.ca_bundle: tls_verify is none, so the CA bundle would not be used"
    ]


def test_a_wildcard_sni_is_refused(document: dict[str, Any]) -> None:
    document["pools"][0]["tls"]["sni"] = "*.internal"

    assert model_errors(document) == [
        "pools[app].tls: sni must be one name, not a wildcard, got '*.internal'"
    ]


def test_unused_files_and_pool_tls_without_tls_servers_warn(document: dict[str, Any]) -> None:
    document["frontends"][0]["tls"]["certificates"] = ["site"]
    document["pools"][0]["servers"][0]["tls"] = False

    warnings = [str(w) for w in validate_data(document).warnings]

    assert warnings == [
        "certificates[shop]: declared but used by nothing",
        "pools[app].tls: no server has tls: true, so these options do nothing",
    ]


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("/etc/haproxy/certs/site.pem", "must be relative to the model file's folder"),
        ("../secrets/site.pem", "must stay inside the model file's folder"),
        ("certs/../../site.pem", "must stay inside the model file's folder"),
        (".hidden/site.pem", "must be a relative path like certs/site.pem"),
        ("certs//site.pem", "must be a relative path like certs/site.pem"),
        ("certs/site.pem ", "must be a relative path like certs/site.pem"),
        ("certs/site.pem\n", "must be a relative path like certs/site.pem"),
        ("certs/sité.pem", "must be a relative path like certs/site.pem"),
        ("", "must be a relative path like certs/site.pem"),
        ("a" * 1024, "at most 1023 characters"),
    ],
)
def test_a_file_path_must_stay_next_to_the_model(
    document: dict[str, Any], file: str, message: str
) -> None:
    document["certificates"][0]["file"] = file

    [error] = model_errors(document)

    assert error.startswith("certificates[site].file: ")
    assert message in error


def test_acme_and_file_together_are_refused(document: dict[str, Any]) -> None:
    document["certificates"][1]["acme"] = {"domains": ["shop.example.com"]}
    assert model_errors(document) == []
    document["certificates"][1]["file"] = "certs/shop.pem"

    assert model_errors(document) == [
        "certificates[shop]: give file or acme, not both: an ACME certificate is stored, not read"
    ]


@pytest.mark.parametrize(
    ("acme", "message"),
    [
        ({"domains": []}, "acme.domains: must have at least 1 item"),
        ({"domains": ["*.example.com"]}, "HTTP-01 cannot validate a wildcard name"),
        ({"domains": ["localhost"]}, "must be a fully qualified DNS name"),
        ({"domains": ["a.example.com"], "contact": "ops@example.com"}, "acme.contact: must be"),
        ({"domains": ["a.example.com"], "directory": "http://acme/dir"}, "acme.directory: must be"),
    ],
)
def test_acme_fields_are_checked(
    document: dict[str, Any], acme: dict[str, Any], message: str
) -> None:
    document["certificates"][1]["acme"] = acme

    [error] = model_errors(document)

    assert error.startswith("certificates[shop].acme")
    assert message in error


@pytest.mark.parametrize("value", ["ALL:!aNULL", "HIGH:@STRENGTH", "TLS_AES_128_GCM_SHA256"])
def test_cipher_strings_take_openssl_syntax(document: dict[str, Any], value: str) -> None:
    document["frontends"][0]["tls"]["ciphers"] = value

    assert model_errors(document) == []


@pytest.mark.parametrize("value", ["HIGH !aNULL", 'HIGH"', "HIGH#x", "HIGH\nbind :1", ""])
def test_cipher_strings_cannot_carry_config_syntax(document: dict[str, Any], value: str) -> None:
    document["frontends"][0]["tls"]["ciphers"] = value

    [error] = model_errors(document)

    assert error.startswith(
        "frontends[web].tls.ciphers: must be OpenSSL cipher list for TLS 1.2 and below"
    )


def test_an_error_page_status_haproxy_does_not_know_is_refused(document: dict[str, Any]) -> None:
    document["error_pages"][0]["status"] = 418

    [error] = model_errors(document)

    assert error.startswith("error_pages[maintenance].status: must be one of 200, 400")


@pytest.mark.parametrize(
    "files_dir", ["/usr/lib/lbctl", "/etc/ssl/certs/lbctl", "/check/x", "/etc", "/proc/x"]
)
def test_files_dir_must_be_a_folder_of_its_own(document: dict[str, Any], files_dir: str) -> None:
    document["settings"] = {"files_dir": files_dir}

    [error] = model_errors(document)

    assert error.startswith(
        "settings.files_dir: must be a folder of its own, like /etc/haproxy/lbctl"
    )


def test_files_dir_elsewhere_is_fine(document: dict[str, Any]) -> None:
    document["settings"] = {"files_dir": "/srv/haproxy-files"}

    assert model_errors(document) == []
