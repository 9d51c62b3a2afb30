"""Frontend and pool TLS v2 with files that travel with the config: rendered, proven, shipped.

Every rendering here goes through the real `haproxy -c`, with the real certificates, CA
bundles, CRLs, maps and error pages bound at settings.files_dir in the sandbox.
"""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from controlplane.check import check_rendered
from controlplane.cli import main
from controlplane.errors import ModelInvalid
from controlplane.model import validate_data
from controlplane.model.config_files import FileContents, declared_files
from controlplane.render import HAPROXY_FILE, render_model
from controlplane.usecases.files import (
    diff_against_dir,
    render_file,
    validate_file,
    write_rendered,
)
from tests.support import needs_binaries
from tests.tls_material import Issued, make_ca, make_crl, make_leaf

FILES_DIR = "/etc/haproxy/lbctl"
ERROR_503 = (
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
    "Cache-Control: no-cache\r\nConnection: close\r\n\r\nmaintenance\n"
)

BASE: dict[str, Any] = {
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
        }
    ],
    "pools": [
        {
            "name": "app",
            "servers": [{"name": "a1", "address": "198.18.1.20", "port": 8443, "tls": True}],
            "tls": {
                "ca_bundle": "internal",
                "client_certificate": "lb-client",
                "sni": "app.internal",
            },
            "error_pages": ["maintenance"],
        }
    ],
    "frontends": [
        {
            "name": "web",
            "vip_pair": "public",
            "port": 443,
            "tls": {
                "certificates": ["site", "shop"],
                "min_version": "TLSv1.3",
                "alpn": ["h2", "http/1.1"],
                "hsts": {"max_age": 31536000, "include_subdomains": True},
                "client_verify": {"mode": "optional", "ca_bundle": "clients", "crl": "clients"},
            },
            "default_pool": "app",
            "routes": [
                {"host": "www.example.com", "pool": "app"},
                {"host": "shop.example.com", "pool": "app"},
            ],
        }
    ],
    "certificates": [
        {"name": "site", "file": "certs/site.pem"},
        {"name": "shop", "file": "certs/shop.pem"},
        {"name": "lb-client", "file": "certs/lb-client.pem"},
    ],
    "ca_bundles": [
        {"name": "clients", "file": "ca/clients.pem"},
        {"name": "internal", "file": "ca/internal.pem"},
    ],
    "crls": [{"name": "clients", "file": "ca/clients.crl.pem"}],
    "maps": [{"name": "hosts", "file": "maps/hosts.map"}],
    "error_pages": [{"name": "maintenance", "status": 503, "file": "errors/503.http"}],
}


class Material:
    def __init__(self) -> None:
        self.ca = make_ca("lbctl test CA")
        self.site = make_leaf(self.ca, "www.example.com")
        self.shop = make_leaf(self.ca, "shop.example.com")
        self.client_ca = make_ca("lbctl clients CA")
        self.lb_client = make_leaf(self.client_ca, "lb-a.internal", client=True)
        self.revoked = make_leaf(self.client_ca, "revoked", client=True)

    def files(self) -> dict[str, str]:
        return {
            "certs/site.pem": self.site.bundle(),
            "certs/shop.pem": self.shop.bundle(),
            "certs/lb-client.pem": self.lb_client.bundle(),
            "ca/clients.pem": self.client_ca.cert_pem(),
            "ca/internal.pem": self.ca.cert_pem(),
            "ca/clients.crl.pem": make_crl(self.client_ca, self.revoked),
            "maps/hosts.map": "www.example.com app\nshop.example.com app\n",
            "errors/503.http": ERROR_503,
        }

    def keys(self) -> list[Issued]:
        return [self.site, self.shop, self.lb_client]


@pytest.fixture(scope="module")
def material() -> Material:
    return Material()


def write_environment(folder: Path, material: Material, document: dict[str, Any]) -> Path:
    for relative, text in material.files().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    model = folder / "lb.yaml"
    model.write_text(yaml.safe_dump(document, sort_keys=False))
    return model


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(BASE)


@pytest.fixture
def environment(tmp_path: Path, material: Material, document: dict[str, Any]) -> Path:
    return write_environment(tmp_path / "env", material, document)


def serial(issued: Issued) -> str:
    text = format(issued.cert.serial_number, "X")
    return text if len(text) % 2 == 0 else "0" + text


def haproxy_cfg(model_file: Path) -> str:
    result = render_file(model_file, binary_check=False)
    return result.rendered.host("lb-a").files[HAPROXY_FILE]


@needs_binaries
def test_several_certificates_render_a_crt_list_and_pass_haproxy(environment: Path) -> None:
    result = render_file(environment)  # haproxy -c with the real files in place

    host = result.rendered.host("lb-a")
    cfg = host.files[HAPROXY_FILE]
    assert (
        f"bind 198.18.1.100:443 ssl crt-list {FILES_DIR}/certs/web.crt-list alpn h2,http/1.1 "
        f"ssl-min-ver TLSv1.3 verify optional ca-file {FILES_DIR}/ca/clients.pem "
        f"crl-file {FILES_DIR}/crl/clients.pem"
    ) in cfg
    assert host.attached["certs/web.crt-list"].text == (
        f"{FILES_DIR}/certs/site.pem\n{FILES_DIR}/certs/shop.pem\n"
    )
    assert result.report is not None and not result.report.failures


def test_every_host_gets_the_files_its_config_names(environment: Path) -> None:
    rendered = render_file(environment, binary_check=False).rendered

    for name in ("lb-a", "lb-b"):
        attached = rendered.host(name).attached
        assert sorted(attached) == [
            "ca/clients.pem",
            "ca/internal.pem",
            "certs/lb-client.pem",
            "certs/shop.pem",
            "certs/site.pem",
            "certs/web.crt-list",
            "crl/clients.pem",
            "errors/maintenance.http",
            "maps/hosts.map",
        ]
        assert {k for k, f in attached.items() if f.private} == {
            "certs/lb-client.pem",
            "certs/shop.pem",
            "certs/site.pem",
        }
    assert rendered.files_dir == FILES_DIR


def test_pool_tls_verifies_against_its_ca_bundle_with_client_certificate_and_sni(
    environment: Path,
) -> None:
    cfg = haproxy_cfg(environment)

    assert (
        f"server a1 198.18.1.20:8443 weight 100 ssl verify required ca-file "
        f"{FILES_DIR}/ca/internal.pem crt {FILES_DIR}/certs/lb-client.pem sni str(app.internal)"
    ) in cfg
    assert f"errorfile 503 {FILES_DIR}/errors/maintenance.http" in cfg


def test_hsts_header_on_an_http_frontend(environment: Path) -> None:
    cfg = haproxy_cfg(environment)

    assert (
        'http-response set-header Strict-Transport-Security "max-age=31536000; includeSubDomains"'
    ) in cfg


@needs_binaries
def test_one_certificate_is_named_directly_and_ciphers_override(
    tmp_path: Path, material: Material, document: dict[str, Any]
) -> None:
    document["frontends"][0]["tls"] = {
        "certificates": ["site"],
        "ciphers": "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ciphersuites": "TLS_AES_256_GCM_SHA384",
    }
    model = write_environment(tmp_path, material, document)

    result = render_file(model)

    cfg = result.rendered.host("lb-a").files[HAPROXY_FILE]
    assert (
        f"bind 198.18.1.100:443 ssl crt {FILES_DIR}/certs/site.pem alpn h2,http/1.1 "
        "ciphers ECDHE-ECDSA-AES256-GCM-SHA384 ciphersuites TLS_AES_256_GCM_SHA384\n"
    ) in cfg
    assert "certs/web.crt-list" not in result.rendered.host("lb-a").attached


@needs_binaries
def test_global_tls_defaults_are_overridable(
    tmp_path: Path, material: Material, document: dict[str, Any]
) -> None:
    document["settings"] = {
        "files_dir": "/srv/lbctl-files",
        "tls": {
            "bind_min_version": "TLSv1.3",
            "tls_tickets": True,
            "server_ciphers": "ECDHE-RSA-AES128-GCM-SHA256",
            "server_min_version": "TLSv1.3",
        },
    }
    model = write_environment(tmp_path, material, document)

    result = render_file(model)

    cfg = result.rendered.host("lb-a").files[HAPROXY_FILE]
    assert "    ssl-default-bind-options ssl-min-ver TLSv1.3\n" in cfg
    assert "    ssl-default-server-ciphers ECDHE-RSA-AES128-GCM-SHA256\n" in cfg
    assert "    ssl-default-server-options ssl-min-ver TLSv1.3\n" in cfg
    assert "crt-list /srv/lbctl-files/certs/web.crt-list" in cfg
    assert result.rendered.files_dir == "/srv/lbctl-files"


@needs_binaries
def test_a_certificate_haproxy_cannot_load_fails_the_check(
    tmp_path: Path, material: Material, document: dict[str, Any]
) -> None:
    model = write_environment(tmp_path, material, document)
    loaded, contents = validate_file(model)
    texts = dict(contents.texts)
    # A bundle HAProxy refuses (its key is not the leaf's): render ships what it is given.
    texts[("certificate", "shop")] = material.shop.cert_pem() + material.site.key_pem()
    rendered = render_model(loaded.model, FileContents(texts))

    report = check_rendered(rendered)

    assert report.failures
    failure = report.failures[0].output
    assert (
        "shop.pem" in failure and "inconsistencies between private key and certificate" in failure
    )
    assert "PRIVATE KEY" not in failure


def test_a_declared_file_without_content_is_refused_naming_the_field(
    document: dict[str, Any],
) -> None:
    model = validate_data(document).model

    with pytest.raises(ModelInvalid) as refused:
        render_model(model)

    paths = {e.path for e in refused.value.errors}
    assert "certificates[site]" in paths and "maps[hosts]" in paths
    messages = {e.path: e.message for e in refused.value.errors}
    assert messages["certificates[site]"] == (
        "the content of certs/site.pem was not read: render the model file"
    )


def test_a_store_flow_certificate_without_content_says_to_upload_it(
    document: dict[str, Any],
) -> None:
    document["certificates"][0] = {"name": "site"}
    model = validate_data(document).model

    with pytest.raises(ModelInvalid) as refused:
        render_model(model)

    assert any(
        e.path == "certificates[site]" and e.message.startswith("no content: upload it")
        for e in refused.value.errors
    )


def test_a_model_without_files_renders_without_contents_and_attaches_nothing(
    example: dict[str, Any],
) -> None:
    rendered = render_model(validate_data(example).model)

    assert all(host.attached == {} for host in rendered.hosts)


def test_render_out_writes_attached_files_keys_0600(environment: Path, tmp_path: Path) -> None:
    rendered = render_file(environment, binary_check=False).rendered
    out = tmp_path / "out"

    write_rendered(rendered, out)

    key_file = out / "lb-a" / "certs" / "site.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "lb-a" / "certs" / "web.crt-list").stat().st_mode) & 0o044
    assert (out / "lb-b" / "maps" / "hosts.map").read_text().startswith("www.example.com app")
    assert (out / "lb-a" / "haproxy.cfg").exists()


def test_diff_shows_a_renewed_certificate_as_metadata_never_pem(
    tmp_path: Path, material: Material, document: dict[str, Any]
) -> None:
    model = write_environment(tmp_path / "env", material, document)
    out = tmp_path / "out"
    write_rendered(render_file(model, binary_check=False).rendered, out)
    renewed = make_leaf(material.ca, "www.example.com", days=700)
    (tmp_path / "env" / "certs" / "site.pem").write_text(renewed.bundle())
    (tmp_path / "env" / "maps" / "hosts.map").write_text("www.example.com other\n")

    diffs = diff_against_dir(render_file(model, binary_check=False).rendered, out)

    changed = {(d.host, d.file): d for d in diffs if d.status != "unchanged"}
    assert set(changed) == {
        ("lb-a", "certs/site.pem"),
        ("lb-b", "certs/site.pem"),
        ("lb-a", "maps/hosts.map"),
        ("lb-b", "maps/hosts.map"),
    }
    lines = changed[("lb-a", "certs/site.pem")].lines
    assert lines[:2] == ["--- a/lb-a/certs/site.pem", "+++ b/lb-a/certs/site.pem"]
    assert " subject: CN=www.example.com" in lines
    assert f"-serial: {serial(material.site)}" in lines
    assert f"+serial: {serial(renewed)}" in lines
    assert any(line.startswith("-fingerprint_sha256: ") for line in lines)
    assert any(line.startswith("+fingerprint_sha256: ") for line in lines)
    assert any(line.startswith("+not_after: ") for line in lines)
    text = "\n".join(line for d in diffs for line in d.lines)
    assert "BEGIN" not in text
    assert "+www.example.com other" in text


def test_render_out_removes_attached_files_it_no_longer_ships(
    environment: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "lb-a" / "maps").mkdir(parents=True)
    (out / "lb-a" / "maps" / "old.map").write_text("gone 1\n")
    (out / "lb-a" / "notes.txt").write_text("mine\n")

    write_rendered(render_file(environment, binary_check=False).rendered, out)

    assert not (out / "lb-a" / "maps" / "old.map").exists()
    assert (out / "lb-a" / "maps" / "hosts.map").exists()
    assert (out / "lb-a" / "notes.txt").exists()


def test_diff_reports_a_file_no_longer_shipped_as_removed(
    environment: Path, tmp_path: Path, document: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    write_rendered(render_file(environment, binary_check=False).rendered, out)
    (out / "lb-a" / "maps" / "old.map").write_text("gone 1\n")

    diffs = diff_against_dir(render_file(environment, binary_check=False).rendered, out)

    assert [(d.host, d.file, d.status) for d in diffs if d.status != "unchanged"] == [
        ("lb-a", "maps/old.map", "removed")
    ]


def test_no_output_of_the_file_flow_holds_a_private_key(
    environment: Path, tmp_path: Path, material: Material
) -> None:
    result = render_file(environment, binary_check=False)
    out = tmp_path / "out"
    write_rendered(result.rendered, out)
    renewed = make_leaf(material.ca, "www.example.com", days=500)
    (environment.parent / "certs" / "site.pem").write_text(renewed.bundle())
    diffs = diff_against_dir(render_file(environment, binary_check=False).rendered, out)

    printed = "\n".join(
        [
            repr(result),
            repr(result.rendered),
            *(h.files[HAPROXY_FILE] for h in result.rendered.hosts),
            *(repr(d) for d in diffs),
            *(str(w) for w in result.warnings),
        ]
    )

    assert "PRIVATE KEY" not in printed
    for issued in [*material.keys(), renewed]:
        body = "".join(issued.key_pem().splitlines()[1:-1])
        assert body[:40] not in printed.replace("\n", "")


def test_files_are_read_relative_to_the_model_file_not_the_working_directory(
    environment: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)

    _, contents = validate_file(environment)

    assert contents.get("map", "hosts") == "www.example.com app\nshop.example.com app\n"
    assert len(contents) == 8


def test_a_missing_file_is_an_error_naming_field_and_path(environment: Path) -> None:
    (environment.parent / "ca" / "clients.crl.pem").unlink()

    with pytest.raises(ModelInvalid) as refused:
        validate_file(environment)

    [error] = refused.value.errors
    assert error.path == "crls[clients].file"
    assert error.message.startswith("ca/clients.crl.pem not found (looked in ")


def test_a_symlink_out_of_the_model_folder_is_refused(environment: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.map"
    outside.write_text("secret 1\n")
    link = environment.parent / "maps" / "hosts.map"
    link.unlink()
    os.symlink(outside, link)

    with pytest.raises(ModelInvalid) as refused:
        validate_file(environment)

    [error] = refused.value.errors
    assert error.path == "maps[hosts].file"
    assert "leads outside the model file's folder" in error.message


def test_a_der_file_is_refused_as_not_text(environment: Path) -> None:
    (environment.parent / "certs" / "site.pem").write_bytes(b"\x30\x82\x01\xff\x80")

    with pytest.raises(ModelInvalid) as refused:
        validate_file(environment)

    assert [str(e) for e in refused.value.errors] == [
        "certificates[site].file: certs/site.pem is not text (UTF-8); "
        "a certificate must be PEM, not DER"
    ]


def test_a_mismatched_key_is_refused_before_render(environment: Path, material: Material) -> None:
    (environment.parent / "certs" / "shop.pem").write_text(
        material.shop.cert_pem() + material.shop.chain_pem() + material.site.key_pem()
    )

    with pytest.raises(ModelInvalid) as refused:
        render_file(environment, binary_check=False)

    [error] = refused.value.errors
    assert error.path == "certificates[shop]"
    assert error.message.startswith("the private key does not match the certificate")


def test_an_expired_or_encrypted_certificate_is_refused(
    environment: Path, material: Material
) -> None:
    expired = make_leaf(material.ca, "www.example.com", days=-1)
    (environment.parent / "certs" / "site.pem").write_text(expired.bundle())
    (environment.parent / "certs" / "shop.pem").write_text(
        material.shop.cert_pem() + material.shop.key_pem(password=b"pw")
    )

    with pytest.raises(ModelInvalid) as refused:
        validate_file(environment)

    found = {e.path: e.message for e in refused.value.errors}
    assert found["certificates[site]"].startswith("expired on ")
    assert found["certificates[shop]"].startswith("the private key is encrypted")


def test_uncovered_host_names_and_near_expiry_are_warnings(
    environment: Path, material: Material
) -> None:
    soon = make_leaf(material.ca, "other.example.com", days=5)
    (environment.parent / "certs" / "shop.pem").write_text(soon.bundle())

    loaded, _ = validate_file(environment)

    shop = [w.message for w in loaded.warnings if w.path == "certificates[shop]"]
    assert any(m.startswith("expires in 4 days") for m in shop)
    assert any(m.startswith("covers none of the host names routed to its frontend") for m in shop)


def test_an_error_page_that_is_not_an_http_response_is_refused(environment: Path) -> None:
    (environment.parent / "errors" / "503.http").write_text("<h1>down</h1>\n")

    with pytest.raises(ModelInvalid) as refused:
        validate_file(environment)

    assert [e.path for e in refused.value.errors] == ["error_pages[maintenance]"]


def lbctl(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout + result.stderr


@needs_binaries
def test_no_cli_output_of_the_file_flow_holds_a_private_key(
    environment: Path, tmp_path: Path, material: Material
) -> None:
    out = tmp_path / "out"
    outputs = [
        lbctl("validate", str(environment)),
        lbctl("render", str(environment), "--out", str(out)),
        lbctl("cert", "list", str(environment)),
        lbctl("cert", "list", str(environment), "--json"),
    ]
    renewed = make_leaf(material.ca, "www.example.com", days=500)
    (environment.parent / "certs" / "site.pem").write_text(renewed.bundle())
    outputs.append(lbctl("diff", str(environment), "--against", str(out), "--color", "never"))
    (environment.parent / "certs" / "shop.pem").write_text(
        material.shop.cert_pem() + renewed.key_pem()
    )
    outputs.append(lbctl("render", str(environment), "--out", str(tmp_path / "refused")))

    assert [code for code, _ in outputs] == [0, 0, 0, 0, 1, 1]
    assert "proven by haproxy -c and keepalived -t" in outputs[1][1]
    assert "-fingerprint_sha256: " in outputs[4][1]
    assert "certificates[shop]: the private key does not match" in outputs[5][1]
    printed = "\n".join(text for _, text in outputs)
    assert "PRIVATE KEY" not in printed and "BEGIN" not in printed
    for issued in [*material.keys(), renewed]:
        body = "".join(issued.key_pem().splitlines()[1:-1])
        assert body[:40] not in printed.replace("\n", "")
    assert stat.S_IMODE((out / "lb-b" / "certs" / "shop.pem").stat().st_mode) == 0o600


def test_host_names_of_rules_count_for_certificate_coverage(
    tmp_path: Path, material: Material, document: dict[str, Any]
) -> None:
    frontend = document["frontends"][0]
    frontend["routes"] = []
    frontend["rules"] = [{"when": {"host": "api.example.com"}, "use_pool": "app"}]
    model = write_environment(tmp_path, material, document)

    loaded, _ = validate_file(model)

    assert [w.message for w in loaded.warnings if w.path.startswith("certificates[")] == [
        "covers none of the host names routed to its frontend (api.example.com); "
        "it is valid for www.example.com",
        "covers none of the host names routed to its frontend (api.example.com); "
        "it is valid for shop.example.com",
    ]


@needs_binaries
def test_v1_paths_are_still_stood_in_beside_the_real_files(
    tmp_path: Path, material: Material, document: dict[str, Any]
) -> None:
    document["frontends"].append(
        {
            "name": "legacy",
            "vip_pair": "public",
            "port": 8443,
            "default_pool": "app",
            "tls": {"certificate": "/etc/haproxy/certs/legacy.pem"},
        }
    )
    model = write_environment(tmp_path, material, document)

    result = render_file(model)

    assert result.report is not None and not result.report.failures
    [check] = [c for c in result.report.checks if c.host == "lb-a" and c.file == HAPROXY_FILE]
    assert check.substituted == ["/etc/haproxy/certs/legacy.pem"]


@needs_binaries
def test_an_acme_certificate_ships_the_challenge_map_with_its_pair(
    material: Material, document: dict[str, Any]
) -> None:
    document["certificates"].append({"name": "www", "acme": {"domains": ["www.example.com"]}})
    document["frontends"][0]["tls"]["certificates"] = ["www", "shop"]
    document["frontends"].append(
        {"name": "plain", "vip_pair": "public", "port": 80, "default_pool": "app"}
    )
    del document["certificates"][0]  # site: no longer used
    model = validate_data(document).model
    files = material.files()
    texts = {
        (d.kind, d.name): files[d.file] if d.file else material.site.bundle()
        for d in declared_files(model)
    }

    rendered = render_model(model, FileContents(texts))

    attached = rendered.host("lb-a").attached
    assert attached["maps/_acme-challenges.map"].text.startswith("#")
    assert (
        "map(/etc/haproxy/lbctl/maps/_acme-challenges.map)"
        in (rendered.host("lb-a").files[HAPROXY_FILE])
    )
    assert not check_rendered(rendered).failures
