"""TLS options: a frontend's certificates and settings, a pool's, and the global defaults.

A frontend names its certificates (declared in `certificates:`); the first is the default
one, the others are picked by SNI through a crt-list. The v1 form, `certificate:` with a
path on the LB host, keeps working and renders the same bytes.

Cipher strings are checked for the characters OpenSSL uses (no spaces, quotes or '#'), so
they cannot inject a directive; OpenSSL itself judges the names when `haproxy -c` runs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import Single
from .types import FilePath, HostMatch, Name

TlsVersion = Literal["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
Alpn = Literal["h2", "http/1.1"]
MAX_CERTIFICATES = 1_000

CipherList = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_:+!@.=-]{1,2048}$",
        description="OpenSSL cipher list, ':'-separated, e.g. ECDHE-RSA-AES128-GCM-SHA256",
    ),
]

# Today's global defaults (Mozilla's "intermediate" profile): every frontend and server uses
# them unless it says otherwise.
DEFAULT_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)
DEFAULT_CIPHERSUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
HSTS_PRELOAD_MIN_AGE = 31_536_000  # one year: the preload list's own minimum


def _both_alpn() -> list[Alpn]:
    return ["h2", "http/1.1"]


class FrontendHsts(Single):
    """Strict-Transport-Security header added to every response of an http frontend."""

    max_age: int = Field(HSTS_PRELOAD_MIN_AGE, ge=0, le=2 * HSTS_PRELOAD_MIN_AGE)
    include_subdomains: bool = False
    preload: bool = False

    @model_validator(mode="after")
    def _preload_needs(self) -> FrontendHsts:
        if self.preload and (not self.include_subdomains or self.max_age < HSTS_PRELOAD_MIN_AGE):
            raise ValueError(
                f"preload needs include_subdomains: true and max_age of at least "
                f"{HSTS_PRELOAD_MIN_AGE} (one year)"
            )
        return self


class ClientVerify(Single):
    """Ask clients for a certificate and verify it against a CA bundle (mutual TLS)."""

    mode: Literal["required", "optional"] = Field(
        "required", description="required refuses clients without a valid certificate"
    )
    ca_bundle: Name = Field(description="ca_bundles entry the client certificates chain to")
    crl: Name | None = Field(None, description="crls entry of revoked client certificates")


class FrontendTls(Single):
    """TLS on a frontend's bind: certificates, versions, ciphers, ALPN, HSTS, client certs."""

    certificate: FilePath | None = Field(
        None, description="v1: PEM file or directory of PEM files already on the LB host"
    )
    certificates: list[Name] = Field(
        default_factory=list,
        max_length=MAX_CERTIFICATES,
        description="certificates entries; the first is the default, the others chosen by SNI",
    )
    min_version: TlsVersion | None = Field(
        None, description="lowest TLS version accepted; defaults to settings.tls.bind_min_version"
    )
    ciphers: CipherList | None = Field(
        None, description="OpenSSL cipher list for TLS 1.2 and below (default: settings.tls)"
    )
    ciphersuites: CipherList | None = Field(
        None, description="OpenSSL cipher list for TLS 1.3 (default: settings.tls)"
    )
    alpn: list[Alpn] = Field(default_factory=_both_alpn, max_length=8)
    hsts: FrontendHsts | None = Field(None, description="http frontends only")
    client_verify: ClientVerify | None = None

    @model_validator(mode="after")
    def _one_certificate_form(self) -> FrontendTls:
        if self.certificate is not None and self.certificates:
            raise ValueError(
                "give certificate (a path on the host) or certificates (names), not both"
            )
        if self.certificate is None and not self.certificates:
            raise ValueError("needs certificates (names of certificates entries) or certificate")
        return self


class PoolTls(Single):
    """TLS towards a pool's servers (those with `tls: true`)."""

    ca_bundle: Name | None = Field(
        None, description="verify servers against this ca_bundles entry (instead of tls_ca_file)"
    )
    client_certificate: Name | None = Field(
        None, description="certificates entry presented to servers that ask for one"
    )
    sni: HostMatch | None = Field(
        None, description="server name sent in the TLS handshake (and verified), e.g. api.internal"
    )

    @model_validator(mode="after")
    def _no_wildcard_sni(self) -> PoolTls:
        if self.sni is not None and self.sni.startswith("*."):
            raise ValueError(f"sni must be one name, not a wildcard, got {self.sni!r}")
        return self


class TlsDefaults(Single):
    """The global ssl-default-bind/server settings every frontend and pool starts from."""

    bind_min_version: TlsVersion = "TLSv1.2"
    bind_ciphers: CipherList = DEFAULT_CIPHERS
    bind_ciphersuites: CipherList = DEFAULT_CIPHERSUITES
    tls_tickets: bool = Field(
        False, description="session tickets (off: forward secrecy without rotating ticket keys)"
    )
    server_min_version: TlsVersion = "TLSv1.2"
    server_ciphers: CipherList | None = Field(
        None, description="OpenSSL cipher list towards servers, TLS 1.2 (default: OpenSSL's)"
    )
    server_ciphersuites: CipherList | None = Field(
        None, description="OpenSSL cipher list towards servers, TLS 1.3 (default: OpenSSL's)"
    )
