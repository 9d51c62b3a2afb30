"""Files that travel with the config: certificates, CA bundles, CRLs, maps and error pages.

The model declares each file by name; its content comes from one of two places:

- the file flow: `file:` is a path relative to the model file's folder, read when the model
  is rendered (`file_flow.py`);
- the store flow: no `file:`, the control plane holds the content (uploaded, or issued by
  ACME for a certificate with an `acme:` block).

Either way the content reaches render as a value, `FileContents`, never by render reading
a file. On an LB host every file lives under `settings.files_dir`, at the key
`attached_key()` gives it ("certs/site.pem", "ca/clients.pem", ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .base import Single, Strict
from .types import Name

FileKind = Literal["certificate", "ca_bundle", "crl", "map", "error_page"]

#: The model section that declares each kind, in the order rules and renders visit them.
SECTIONS: dict[FileKind, str] = {
    "certificate": "certificates",
    "ca_bundle": "ca_bundles",
    "crl": "crls",
    "map": "maps",
    "error_page": "error_pages",
}
_FOLDERS: dict[FileKind, tuple[str, str]] = {
    "certificate": ("certs", ".pem"),
    "ca_bundle": ("ca", ".pem"),
    "crl": ("crl", ".pem"),
    "map": ("maps", ".map"),
    "error_page": ("errors", ".http"),
}
MAX_FILES = 10_000
MAX_ACME_DOMAINS = 100  # Let's Encrypt's limit of names per certificate
# The file flow reads at most this much of one file (the model file's own limit): far past
# a certificate chain or a map of real size, small enough to hold in memory.
MAX_FILE_BYTES = 16 * 2**20


def attached_key(kind: FileKind, name: str) -> str:
    """Where a declared file lives under settings.files_dir: 'certs/site.pem', 'maps/x.map'."""
    folder, suffix = _FOLDERS[kind]
    return f"{folder}/{name}{suffix}"


def crt_list_key(frontend: str) -> str:
    """Where a frontend's crt-list (its several certificates, SNI) lives under files_dir."""
    return f"certs/{frontend}.crt-list"


_RELATIVE = re.compile(r"[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*(/[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*)*")


def _check_relative_file(value: str) -> str:
    if value.startswith("/"):
        raise ValueError(
            f"must be relative to the model file's folder, got the absolute path {value!r}; "
            "copy the file next to the model"
        )
    if ".." in value.split("/"):
        raise ValueError(
            f"must stay inside the model file's folder ('..' is not allowed), got {value!r}"
        )
    if not _RELATIVE.fullmatch(value):
        raise ValueError(
            "must be a relative path like certs/site.pem: letters, digits, '.', '_', '@', "
            f"'+', '-' separated by '/', no component starting with '.', got {value[:60]!r}"
        )
    return value


RelativeFile = Annotated[
    str,
    Field(
        max_length=1023,
        description=(
            "path relative to the model file's folder (file flow), e.g. certs/site.pem; "
            "no absolute paths, no '..', no hidden components"
        ),
    ),
    AfterValidator(_check_relative_file),
]

# A domain an ACME server can validate over HTTP-01: a DNS name, no wildcard (HTTP-01 cannot
# prove a wildcard), lower case.
_DOMAIN = re.compile(
    r"(?=.{1,253}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?"
)


def _check_domain(value: str) -> str:
    lowered = value.lower()
    if lowered.startswith("*."):
        raise ValueError(f"HTTP-01 cannot validate a wildcard name, got {value!r}; list each name")
    if not _DOMAIN.fullmatch(lowered):
        raise ValueError(
            f"must be a fully qualified DNS name like www.example.com, got {value[:60]!r}"
        )
    return lowered


AcmeDomain = Annotated[
    str, Field(description="fully qualified DNS name, no wildcard"), AfterValidator(_check_domain)
]
_CONTACT = re.compile(r"mailto:[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}")
_DIRECTORY = re.compile(r"https://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?(/[A-Za-z0-9._~%/+-]{0,1000})?")


def _check_contact(value: str) -> str:
    if not _CONTACT.fullmatch(value):
        raise ValueError(f"must be an e-mail address as mailto:ops@example.com, got {value[:60]!r}")
    return value


def _check_directory(value: str) -> str:
    if not _DIRECTORY.fullmatch(value):
        raise ValueError(f"must be the ACME server's https:// directory URL, got {value[:60]!r}")
    return value


AcmeContact = Annotated[
    str,
    Field(description="account contact, e.g. mailto:ops@example.com"),
    AfterValidator(_check_contact),
]
AcmeDirectory = Annotated[
    str,
    Field(description="the ACME server's directory URL (https)"),
    AfterValidator(_check_directory),
]
LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"


class AcmeCertificate(Single):
    """A certificate the control plane orders and renews over ACME (HTTP-01)."""

    domains: list[AcmeDomain] = Field(
        min_length=1,
        max_length=MAX_ACME_DOMAINS,
        description="names to certify; the first is the CN",
    )
    contact: AcmeContact | None = None
    directory: AcmeDirectory = Field(LETS_ENCRYPT, description="ACME directory URL")


class Certificate(Strict):
    """A PEM chain (leaf first) and its private key, by name."""

    name: Name
    file: RelativeFile | None = Field(None, description="file flow: leaf, chain, key in one PEM")
    acme: AcmeCertificate | None = Field(None, description="issued and renewed over ACME")

    @model_validator(mode="after")
    def _one_source(self) -> Certificate:
        if self.file is not None and self.acme is not None:
            raise ValueError("give file or acme, not both: an ACME certificate is stored, not read")
        return self


class CaBundle(Strict):
    """CA certificates (PEM) to verify clients or servers against."""

    name: Name
    file: RelativeFile | None = None


class Crl(Strict):
    """A certificate revocation list (PEM) for client-certificate verification."""

    name: Name
    file: RelativeFile | None = None


class MapFile(Strict):
    """An HAProxy map file (`key value` lines), shipped to every LB host."""

    name: Name
    file: RelativeFile | None = None


# The status codes HAProxy 2.6 accepts for `errorfile`.
ErrorStatus = Literal[
    200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504
]


class ErrorPage(Strict):
    """A raw HTTP response HAProxy sends instead of its own for one status (`errorfile`)."""

    name: Name
    status: ErrorStatus
    file: RelativeFile | None = None


@dataclass(frozen=True)
class FileContents:
    """The text of declared files by (kind, name): what render ships with the config.

    Built by the file flow (read next to the model file) or by the store; render never
    reads a file itself. Holds private keys: print `describe()`, never the texts.
    """

    texts: Mapping[tuple[FileKind, str], str] = field(default_factory=dict, repr=False)

    def get(self, kind: FileKind, name: str) -> str | None:
        return self.texts.get((kind, name))

    def __contains__(self, item: object) -> bool:
        return item in self.texts

    def __len__(self) -> int:
        return len(self.texts)

    def describe(self) -> list[str]:
        """'kind name (N bytes)' for each file: safe to log."""
        return [f"{kind} {name} ({len(text)} bytes)" for (kind, name), text in self.texts.items()]


@dataclass(frozen=True)
class DeclaredFile:
    """One file a model declares: its kind, its model name, its field path and its source."""

    kind: FileKind
    name: str
    path: str  # "certificates[site]"
    file: str | None  # relative path (file flow), None for the store flow
    acme: bool = False


def declared_files(model: object) -> Iterator[DeclaredFile]:
    """Every file the model declares, section by section, in model order."""
    for kind, section in SECTIONS.items():
        for item in getattr(model, section, ()):
            yield DeclaredFile(
                kind,
                item.name,
                f"{section}[{item.name}]",
                item.file,
                getattr(item, "acme", None) is not None,
            )
