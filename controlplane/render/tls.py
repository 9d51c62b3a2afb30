"""What TLS and the shipped files add to haproxy.cfg: bind and server options, global lines.

Paths to shipped files are `settings.files_dir` + the key `model.config_files` gives each
file, so haproxy.cfg and the files written next to it always agree. The v1 forms
(`tls.certificate` a host path, a pool's `tls_verify`/`tls_ca_file`) print what they always
printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Frontend, LbModel, Pool
from ..model.config_files import FileKind, attached_key, crt_list_key
from ..model.tls import TlsDefaults


@dataclass(frozen=True)
class FileRefs:
    """Where shipped files are on an LB host, and what each error page answers."""

    files_dir: str
    error_statuses: dict[str, int]

    @classmethod
    def of(cls, model: LbModel) -> FileRefs:
        return cls(model.settings.files_dir, {p.name: p.status for p in model.error_pages})

    def path(self, kind: FileKind, name: str) -> str:
        return f"{self.files_dir}/{attached_key(kind, name)}"

    def crt_list(self, frontend: str) -> str:
        return f"{self.files_dir}/{crt_list_key(frontend)}"


def tls_global_lines(tls: TlsDefaults) -> list[str]:
    """The global ssl-default-* lines (with the defaults: what lbctl always printed)."""
    options = f"ssl-min-ver {tls.bind_min_version}" + ("" if tls.tls_tickets else " no-tls-tickets")
    lines = [
        "ssl-default-bind-ciphers " + tls.bind_ciphers,
        "ssl-default-bind-ciphersuites " + tls.bind_ciphersuites,
        "ssl-default-bind-options " + options,
    ]
    if tls.server_ciphers:
        lines.append("ssl-default-server-ciphers " + tls.server_ciphers)
    if tls.server_ciphersuites:
        lines.append("ssl-default-server-ciphersuites " + tls.server_ciphersuites)
    lines.append(f"ssl-default-server-options ssl-min-ver {tls.server_min_version}")
    return lines


def bind_tls(fe: Frontend, refs: FileRefs) -> str:
    """The TLS words of a frontend's bind line, from ' ssl' on; '' without TLS."""
    tls = fe.tls
    if tls is None:
        return ""
    if tls.certificate is not None:
        words = f" ssl crt {tls.certificate}"
    elif len(tls.certificates) == 1:
        words = f" ssl crt {refs.path('certificate', tls.certificates[0])}"
    else:
        # The first certificate of a crt-list is the bind's default; SNI picks the others
        # by their SANs.
        words = f" ssl crt-list {refs.crt_list(fe.name)}"
    if tls.alpn:
        words += f" alpn {','.join(tls.alpn)}"
    if tls.min_version:
        words += f" ssl-min-ver {tls.min_version}"
    if tls.ciphers:
        words += f" ciphers {tls.ciphers}"
    if tls.ciphersuites:
        words += f" ciphersuites {tls.ciphersuites}"
    verify = tls.client_verify
    if verify is not None:
        words += f" verify {verify.mode} ca-file {refs.path('ca_bundle', verify.ca_bundle)}"
        if verify.crl:
            words += f" crl-file {refs.path('crl', verify.crl)}"
    return words


def crt_list_text(fe: Frontend, refs: FileRefs) -> str | None:
    """The crt-list of a frontend with several certificates (None with one or none)."""
    if fe.tls is None or len(fe.tls.certificates) < 2:
        return None
    return "".join(f"{refs.path('certificate', name)}\n" for name in fe.tls.certificates)


def hsts_lines(fe: Frontend) -> list[str]:
    """The Strict-Transport-Security header line of an http frontend with `hsts`."""
    hsts = fe.tls.hsts if fe.tls else None
    if hsts is None or fe.mode != "http":
        return []
    value = f"max-age={hsts.max_age}"
    if hsts.include_subdomains:
        value += "; includeSubDomains"
    if hsts.preload:
        value += "; preload"
    return [f'http-response set-header Strict-Transport-Security "{value}"']


def error_page_lines(names: list[str], refs: FileRefs) -> list[str]:
    """`errorfile STATUS PATH` for each error page a frontend or pool names."""
    return [
        f"errorfile {refs.error_statuses[name]} {refs.path('error_page', name)}"
        for name in names
        if name in refs.error_statuses
    ]


def server_tls(pool: Pool, refs: FileRefs) -> str:
    """The TLS words of a pool's `server` lines (servers with `tls: true`)."""
    tls = pool.tls
    words = f" ssl verify {pool.tls_verify}"
    if pool.tls_verify == "required":
        ca_file = pool.tls_ca_file
        if tls is not None and tls.ca_bundle:
            ca_file = refs.path("ca_bundle", tls.ca_bundle)
        words += f" ca-file {ca_file}"
    if tls is not None:
        if tls.client_certificate:
            words += f" crt {refs.path('certificate', tls.client_certificate)}"
        if tls.sni:
            # A fixed string; with `verify required` HAProxy also checks the server's
            # certificate against this name.
            words += f" sni str({tls.sni})"
    return words
