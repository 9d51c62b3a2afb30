"""Rules that relate declared files and TLS options to the frontends and pools using them.

Each yields FieldErrors naming the field by path (`frontends[web].tls.certificates[1]`).
What only the files' contents can tell (a key that does not match, an expired certificate,
SANs that cover none of a frontend's host names) is `file_checks.py`'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..errors import FieldError
from .config_files import SECTIONS
from .directives import map_paths
from .duplicates import duplicate_errors
from .schema import Frontend, LbModel, Pool

# Folders files_dir cannot be in: the system's own (a package upgrade owns them), the
# kernel's, and those the local check's sandbox mounts read-only (the shipped files are
# bound at files_dir there, which cannot be done inside a read-only mount).
_RESERVED_DIRS = (
    "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/proc", "/sys", "/dev",
    "/etc/ssl/certs", "/check",
)  # fmt: skip


def tls_file_errors(model: LbModel) -> Iterator[FieldError]:
    """Duplicate file names, unknown references, and TLS options that cannot apply."""
    files_dir = model.settings.files_dir.rstrip("/")
    reserved = [d for d in _RESERVED_DIRS if files_dir == d or files_dir.startswith(d + "/")]
    if reserved or files_dir.count("/") < 2:
        yield FieldError(
            "settings.files_dir",
            f"must be a folder of its own, like /etc/haproxy/lbctl, not under {reserved[0]}"
            if reserved
            else f"must be a folder of its own, like /etc/haproxy/lbctl, got {files_dir or '/'}",
        )
    for section in SECTIONS.values():
        yield from duplicate_errors(section, getattr(model, section))
    names = _declared(model)
    yield from _maps_read(model, files_dir, names["map"])
    for fe in model.frontends:
        yield from _frontend(fe, names)
    for pool in model.pools:
        yield from _pool(pool, names)
    for path, pages in _error_page_users(model):
        yield from _error_pages(path, pages, names, model)


def _maps_read(model: LbModel, files_dir: str, maps: dict[str, None]) -> Iterator[FieldError]:
    """A map converter in an `extra` line reads a declared map at its place on the host."""
    places = {f"{files_dir}/maps/{name}.map" for name in maps}
    extras = [("settings", model.settings.extra)]
    extras += [(f"frontends[{fe.name}]", fe.extra) for fe in model.frontends]
    extras += [(f"pools[{pool.name}]", pool.extra) for pool in model.pools]
    for path, lines in extras:
        for i, line in enumerate(lines):
            if "map" not in line:
                continue
            for read in map_paths(line):
                if read not in places:
                    listed = ", ".join(repr(n) for n in list(maps)[:8]) or "none declared"
                    yield FieldError(
                        f"{path}.extra[{i}]",
                        f"reads {read}, which is no declared map: declare it in maps[] "
                        f"and read it at {files_dir}/maps/<name>.map (declared: {listed})",
                    )


def tls_file_warnings(model: LbModel) -> Iterator[FieldError]:
    """Declared files nothing uses (maps excepted: rules name them), pool TLS with no TLS."""
    used = _used(model)
    for kind, section in SECTIONS.items():
        if kind == "map":
            continue
        for item in getattr(model, section):
            if item.name not in used[kind] and not getattr(item, "acme", None):
                yield FieldError(f"{section}[{item.name}]", "declared but used by nothing")
    for pool in model.pools:
        if pool.tls is not None and not any(s.tls for s in pool.servers):
            yield FieldError(
                f"pools[{pool.name}].tls", "no server has tls: true, so these options do nothing"
            )


def _declared(model: LbModel) -> dict[str, dict[str, None]]:
    return {
        kind: dict.fromkeys(item.name for item in getattr(model, section))
        for kind, section in SECTIONS.items()
    }


def _unknown(path: str, kind: str, value: str, known: dict[str, None]) -> FieldError:
    section = SECTIONS[kind]  # type: ignore[index]
    listed = ", ".join(repr(k) for k in list(known)[:8]) or "none declared"
    return FieldError(
        path,
        f"unknown {kind.replace('_', ' ')} {value!r}: declare it in {section} (known: {listed})",
    )


def _frontend(fe: Frontend, names: dict[str, dict[str, None]]) -> Iterator[FieldError]:
    tls = fe.tls
    path = f"frontends[{fe.name}].tls"
    if tls is None:
        return
    first: dict[str, int] = {}
    for i, name in enumerate(tls.certificates):
        if name not in names["certificate"]:
            yield _unknown(f"{path}.certificates[{i}]", "certificate", name, names["certificate"])
        if name in first:
            yield FieldError(
                f"{path}.certificates[{i}]",
                f"{name!r} is listed twice (also certificates[{first[name]}])",
            )
        first.setdefault(name, i)
    if tls.hsts is not None and fe.mode != "http":
        yield FieldError(f"{path}.hsts", "HSTS is an HTTP header: it needs mode: http")
    verify = tls.client_verify
    if verify is not None:
        if verify.ca_bundle not in names["ca_bundle"]:
            yield _unknown(
                f"{path}.client_verify.ca_bundle", "ca_bundle", verify.ca_bundle, names["ca_bundle"]
            )
        if verify.crl is not None and verify.crl not in names["crl"]:
            yield _unknown(f"{path}.client_verify.crl", "crl", verify.crl, names["crl"])


def _pool(pool: Pool, names: dict[str, dict[str, None]]) -> Iterator[FieldError]:
    tls = pool.tls
    path = f"pools[{pool.name}]"
    if tls is None:
        return
    if tls.ca_bundle is not None:
        if tls.ca_bundle not in names["ca_bundle"]:
            yield _unknown(f"{path}.tls.ca_bundle", "ca_bundle", tls.ca_bundle, names["ca_bundle"])
        if "tls_ca_file" in pool.model_fields_set:
            yield FieldError(
                f"{path}.tls.ca_bundle",
                "give tls_ca_file (a path on the host) or tls.ca_bundle, not both",
            )
        if pool.tls_verify == "none":
            yield FieldError(
                f"{path}.tls.ca_bundle", "tls_verify is none, so the CA bundle would not be used"
            )
    cert = tls.client_certificate
    if cert is not None and cert not in names["certificate"]:
        yield _unknown(f"{path}.tls.client_certificate", "certificate", cert, names["certificate"])


def _error_page_users(model: LbModel) -> Iterator[tuple[str, list[str]]]:
    for fe in model.frontends:
        if fe.error_pages:
            yield f"frontends[{fe.name}].error_pages", fe.error_pages
    for pool in model.pools:
        if pool.error_pages:
            yield f"pools[{pool.name}].error_pages", pool.error_pages


def _error_pages(
    path: str, pages: list[str], names: dict[str, dict[str, None]], model: LbModel
) -> Iterator[FieldError]:
    statuses = {p.name: p.status for p in model.error_pages}
    first: dict[int, str] = {}
    for i, name in enumerate(pages):
        if name not in names["error_page"]:
            yield _unknown(f"{path}[{i}]", "error_page", name, names["error_page"])
            continue
        status = statuses[name]
        if status in first:
            yield FieldError(
                f"{path}[{i}]", f"{first[status]!r} already answers status {status} here"
            )
        first.setdefault(status, name)


def _used(model: LbModel) -> dict[str, set[str]]:
    used: dict[str, set[str]] = defaultdict(set)
    for fe in model.frontends:
        used["error_page"].update(fe.error_pages)
        used["error_page"].update(
            r.respond.error_page for r in fe.rules if r.respond and r.respond.error_page
        )
        if fe.tls is not None:
            used["certificate"].update(fe.tls.certificates)
            if fe.tls.client_verify is not None:
                used["ca_bundle"].add(fe.tls.client_verify.ca_bundle)
                if fe.tls.client_verify.crl:
                    used["crl"].add(fe.tls.client_verify.crl)
    for pool in model.pools:
        used["error_page"].update(pool.error_pages)
        if pool.tls is not None:
            if pool.tls.ca_bundle:
                used["ca_bundle"].add(pool.tls.ca_bundle)
            if pool.tls.client_certificate:
                used["certificate"].add(pool.tls.client_certificate)
    return used
