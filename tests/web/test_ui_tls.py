"""The frontend and pool forms edit TLS v2: names of declared files, versions, HSTS, mTLS."""

from __future__ import annotations

from flask import Flask

from .ui_support import document, newest, post_form

WEB = {"name": "web-tls", "vip_pair": "edge", "port": "443", "mode": "http", "default_pool": "app"}


def test_the_frontend_form_shows_the_tls_inputs(as_role) -> None:
    page = as_role("viewer").get("/model/frontends/web-tls").get_data(as_text=True)

    for name in (
        "tls.certificates",
        "tls.min_version",
        "tls.ciphers",
        "tls.ciphersuites",
        "tls.hsts.max_age",
        "tls.client_verify.mode",
        "tls.client_verify.ca_bundle",
        "tls.client_verify.crl",
        "error_pages",
    ):
        assert f'name="{name}"' in page, name


def test_an_unknown_certificate_is_shown_next_to_its_input(app: Flask, as_role) -> None:
    before = newest(app).number
    form = WEB | {"tls.certificates": "site", "tls.min_version": "TLSv1.3"}

    response = post_form(as_role("operator"), "/model/frontends/web-tls", form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    start = page.index('<label for="f-tls-certificates">')
    certificates = page[start : page.index('<label for="f-tls-min_version">')]
    assert "unknown certificate &#39;site&#39;" in certificates
    assert newest(app).number == before


def test_the_v1_certificate_path_and_tls_options_save(app: Flask, as_role) -> None:
    form = WEB | {
        "tls.certificate": "/etc/haproxy/certs/site.pem",
        "tls.min_version": "TLSv1.3",
        "tls.hsts.max_age": "600",
    }

    response = post_form(as_role("operator"), "/model/frontends/web-tls", form)

    assert response.status_code == 302
    web = next(f for f in document(app)["frontends"] if f["name"] == "web-tls")
    assert web["tls"] == {
        "certificate": "/etc/haproxy/certs/site.pem",
        "min_version": "TLSv1.3",
        "hsts": {"max_age": 600},
    }


def test_the_pool_form_shows_its_tls_inputs(as_role) -> None:
    page = as_role("viewer").get("/model/pools/app").get_data(as_text=True)

    for name in ("tls.ca_bundle", "tls.client_certificate", "tls.sni", "error_pages"):
        assert f'name="{name}"' in page, name
