"""The files that travel with a host's haproxy.cfg, from the contents given to render.

Each host gets the files its own config names (certificates, CA bundles, CRLs and error
pages of its frontends and their pools, a crt-list per frontend with several certificates)
and every map file (routing rules name maps, so every host gets them). Render never reads
a file: contents come from the file flow or the store as `FileContents`; a file the config
needs without content is an error naming the model field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import FieldError, ModelInvalid
from ..model import Frontend, LbModel, pool_users
from ..model.config_files import SECTIONS, FileContents, FileKind, attached_key, crt_list_key
from .routing import access_list_files
from .tls import FileRefs, crt_list_text


@dataclass(frozen=True)
class AttachedFile:
    """One file shipped under settings.files_dir. Holds key material: never print `text`."""

    kind: str  # a FileKind, or "crt_list"
    name: str  # the model name (the frontend's for a crt-list)
    text: str = field(repr=False)
    private: bool = False  # holds a private key: mode 0600, never shown


def referenced_files(
    model: LbModel, frontends: Iterable[Frontend]
) -> dict[tuple[FileKind, str], None]:
    """(kind, name) of every declared file the frontends and their pools name, in order."""
    wanted: dict[tuple[FileKind, str], None] = {}
    pools = {p.name: p for p in model.pools}
    users = _pool_names(model)
    for fe in frontends:
        if fe.tls is not None:
            for name in fe.tls.certificates:
                wanted[("certificate", name)] = None
            verify = fe.tls.client_verify
            if verify is not None:
                wanted[("ca_bundle", verify.ca_bundle)] = None
                if verify.crl:
                    wanted[("crl", verify.crl)] = None
        for name in fe.error_pages:
            wanted[("error_page", name)] = None
        for rule in fe.rules:  # `respond: {error_page: NAME}` answers with the file
            if rule.respond is not None and rule.respond.error_page is not None:
                wanted[("error_page", rule.respond.error_page)] = None
        for pool_name in users.get(fe.name, ()):
            pool = pools.get(pool_name)
            if pool is None:
                continue
            if pool.tls is not None and any(s.tls for s in pool.servers):
                if pool.tls.ca_bundle and pool.tls_verify == "required":
                    wanted[("ca_bundle", pool.tls.ca_bundle)] = None
                if pool.tls.client_certificate:
                    wanted[("certificate", pool.tls.client_certificate)] = None
            for name in pool.error_pages:
                wanted[("error_page", name)] = None
    for item in model.maps:
        wanted[("map", item.name)] = None
    return wanted


def missing_contents(model: LbModel, contents: FileContents | None) -> list[FieldError]:
    """An error per file some host needs whose content was not given, naming its field."""
    given = contents or FileContents()
    acme = {c.name for c in model.certificates if c.acme is not None}
    files = {
        (kind, item.name): item.file for kind, s in SECTIONS.items() for item in getattr(model, s)
    }
    errors = []
    for kind, name in referenced_files(model, model.frontends):
        if (kind, name) in given:
            continue
        path = f"{SECTIONS[kind]}[{name}]"
        if kind == "certificate" and name in acme:
            message = "issued by ACME and not issued yet: render it from the control plane"
        elif files.get((kind, name)):
            message = f"the content of {files[(kind, name)]} was not read: render the model file"
        else:
            message = "no content: upload it to the control plane (or give file: for the file flow)"
        errors.append(FieldError(path, message))
    return errors


def attached_files(
    model: LbModel, frontends: list[Frontend], contents: FileContents | None
) -> dict[str, AttachedFile]:
    """The files one host ships, by key under files_dir (its frontends given)."""
    refs = FileRefs.of(model)
    given = contents or FileContents()
    attached: dict[str, AttachedFile] = {}
    for kind, name in referenced_files(model, frontends):
        text = given.get(kind, name)
        if text is None:
            raise ModelInvalid(missing_contents(model, contents), "render")
        attached[attached_key(kind, name)] = AttachedFile(kind, name, text, kind == "certificate")
    for fe in frontends:
        for key, text in access_list_files(fe).items():  # runtime-replaceable maps
            attached[key] = AttachedFile("map", key.rsplit("/", 1)[-1], text)
        crt_list = crt_list_text(fe, refs)
        if crt_list is not None:
            attached[crt_list_key(fe.name)] = AttachedFile("crt_list", fe.name, crt_list)
    return attached


def _pool_names(model: LbModel) -> dict[str, list[str]]:
    """Frontend name -> the pools it sends traffic to (routes, default, rules)."""
    names: dict[str, list[str]] = {}
    for pool, users in pool_users(model).items():
        for fe in users:
            names.setdefault(fe.name, []).append(pool)
    return names
