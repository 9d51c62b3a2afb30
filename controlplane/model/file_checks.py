"""Check the contents of declared files against the model that uses them.

Both flows call this before rendering: the file flow with what it read next to the model,
the store with what was uploaded. Errors refuse the rendering and name the model field
(`certificates[site]`); warnings are shown. Messages hold metadata only, never PEM text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import FieldError
from .config_files import FileContents
from .rules import Findings
from .schema import LbModel

if TYPE_CHECKING:
    from .certificates import Finding

_STATUS_LINE = re.compile(r"HTTP/1\.[01] ([0-9]{3})[ \r\n]")


def check_file_contents(
    model: LbModel, contents: FileContents, now: datetime | None = None
) -> Findings:
    """Return the errors and warnings of every declared file whose content is given."""
    found = Findings()
    if model.certificates or model.ca_bundles or model.crls:
        # cryptography is imported only for a model that declares PEM files: `lbctl
        # validate` of any other model never loads it (0.05 s of imports).
        from .certificates import inspect_ca_bundle, inspect_certificate, inspect_crl
    routed = frontend_host_names(model)
    for cert in model.certificates:
        text = contents.get("certificate", cert.name)
        if text is None:
            continue
        report = inspect_certificate(text, cert.name, now=now, host_names=routed.get(cert.name, ()))
        path = f"certificates[{cert.name}]"
        found.errors += [FieldError(path, f.message) for f in report.errors]
        found.warnings += [FieldError(path, f.message) for f in report.warnings]
    for bundle in model.ca_bundles:
        text = contents.get("ca_bundle", bundle.name)
        if text is None:
            continue
        _, findings = inspect_ca_bundle(text, bundle.name, now=now)
        _add(found, f"ca_bundles[{bundle.name}]", findings)
    crl_cas = _crl_ca_bundles(model)
    for crl in model.crls:
        text = contents.get("crl", crl.name)
        if text is None:
            continue
        ca_name = crl_cas.get(crl.name)
        ca_text = contents.get("ca_bundle", ca_name) if ca_name else None
        _, findings = inspect_crl(text, crl.name, now=now, ca_bundle=ca_text)
        _add(found, f"crls[{crl.name}]", findings)
    for page in model.error_pages:
        text = contents.get("error_page", page.name)
        if text is None:
            continue
        match = _STATUS_LINE.match(text)
        path = f"error_pages[{page.name}]"
        if match is None:
            found.errors.append(
                FieldError(
                    path,
                    "must be a whole HTTP response starting with a status line like "
                    "'HTTP/1.1 503 Service Unavailable', then headers, a blank line, the body",
                )
            )
        elif int(match.group(1)) != page.status:
            found.warnings.append(
                FieldError(
                    path, f"answers status {match.group(1)} but is declared for {page.status}"
                )
            )
    return found


def frontend_host_names(model: LbModel) -> dict[str, list[str]]:
    """Certificate name -> the host names routed to the frontends that serve it.

    Routes' hosts and the host or SNI tests of the frontend's rules; wildcard matches are
    left out (a certificate for a.example.com covers part of *.example.com, not none of it).
    """
    names: dict[str, list[str]] = defaultdict(list)
    for fe in model.frontends:
        if fe.tls is None:
            continue
        hosts = [r.host for r in fe.routes if r.host is not None]
        matches = [m for rule in fe.rules for m in (rule.when, *rule.when_any) if m is not None]
        hosts += [h for m in matches for h in (m.host, m.sni) if h is not None]
        for cert in fe.tls.certificates:
            names[cert].extend(h for h in hosts if not h.startswith("*."))
    return names


def _crl_ca_bundles(model: LbModel) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for fe in model.frontends:
        verify = fe.tls.client_verify if fe.tls else None
        if verify is not None and verify.crl:
            pairs.setdefault(verify.crl, verify.ca_bundle)
    return pairs


def _add(found: Findings, path: str, findings: list[Finding]) -> None:
    for f in findings:
        target = found.errors if f.severity == "error" else found.warnings
        target.append(FieldError(path, f.message))
