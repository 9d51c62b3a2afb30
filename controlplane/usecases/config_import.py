"""Adopt an existing pair: `lbctl import` from a folder of configs or from the hosts.

The originals are proven first with the real `haproxy -c` and `keepalived -t` (a config
the running pair could not load cannot be imported faithfully); then the importer maps
them, and the model it built is validated like any model file. Exit statuses: 0 all of it
carried over, 1 imported with something dropped or changed in meaning, 2 not imported.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from ..check import check_file
from ..config_import.crt_lists import crt_lists_for_proof
from ..config_import.importer import (
    HAPROXY_FILE,
    KEEPALIVED_FILE,
    HostInput,
    Imported,
    MemoryFiles,
    host_path,
    import_hosts,
    read_dir,
)
from ..config_import.legacy import modern_config
from ..config_import.proof_certificates import absolute_certificates_for_proof
from ..config_import.proof_files import PROOF_DIR, error_pages_for_proof
from ..config_import.proof_patterns import pattern_files_for_proof
from ..config_import.proof_process import process_settings_for_proof
from ..config_import.report import ImportRefused, Report
from ..errors import ModelInvalid
from ..model.loader import validate_data
from ..render.attached import AttachedFile
from ..store import Actor, Revision
from ..store import files as stored
from . import revisions

__all__ = [
    "ImportRefused",
    "ImportResult",
    "import_dir",
    "import_from_hosts",
    "import_uploaded",
    "inventory_hosts",
    "save_import",
]

# The model section of each kind of declared file, and the store's name of the kind.
_STORED_KINDS = {
    "certificates": "certificate",
    "ca_bundles": "ca_bundle",
    "crls": "crl",
    "maps": "map",
    "error_pages": "error_page",
}


@dataclass(frozen=True)
class ImportResult:
    yaml_text: str
    report: Report
    files: dict[str, bytes]  # relative to the model file -> content
    model: dict[str, Any]

    @property
    def exit_status(self) -> int:
        return self.report.exit_status

    def write(self, out: Path) -> list[Path]:
        """Write the model to `out` and the declared files beside it."""
        written = []
        out.parent.mkdir(parents=True, exist_ok=True)
        for relative, content in self.files.items():
            path = out.parent / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            path.chmod(0o600)
            written.append(path)
        out.write_text(self.yaml_text)
        return [out, *written]


def _hosts_with_options(hosts: list[HostInput], given: dict[str, str]) -> list[HostInput]:
    """Apply `--host NAME=ADDRESS[@INTERFACE]` to the hosts read."""
    names = {h.name for h in hosts}
    for name in given:
        if name not in names:
            raise ImportRefused(f"--host {name}: no such host among {', '.join(sorted(names))}")
    for host in hosts:
        if host.name in given:
            address, _, interface = given[host.name].partition("@")
            host.address = address
            host.interface = interface or host.interface
    return hosts


def import_dir(
    directory: Path | str, host_options: dict[str, str] | None = None, prove: bool = True
) -> ImportResult:
    """Import DIR/<host>/haproxy.cfg (+ keepalived.conf, + files/) into a model."""
    hosts = _hosts_with_options(read_dir(directory), host_options or {})
    return _imported(hosts, prove)


def import_uploaded(
    configs: dict[str, dict[str, bytes]], files: dict[str, dict[str, bytes]], prove: bool = True
) -> ImportResult:
    """Import uploaded configs: host -> {haproxy.cfg, keepalived.conf}; host -> path -> bytes.

    Named files come only from the upload, by their absolute path on the host.
    """
    hosts = []
    for name, texts in sorted(configs.items()):
        if HAPROXY_FILE not in texts:
            raise ImportRefused(f"host {name}: no {HAPROXY_FILE} uploaded")
        hosts.append(
            HostInput(
                name,
                texts[HAPROXY_FILE],
                texts.get(KEEPALIVED_FILE),
                MemoryFiles(files.get(name, {})),
            )
        )
    if not hosts:
        raise ImportRefused(f"no {HAPROXY_FILE} uploaded")
    return _imported(hosts, prove)


class _Recording:
    """A FileSource that remembers which paths the configs name, and has none of them."""

    def __init__(self) -> None:
        self.paths: set[str] = set()

    def read(self, path: str) -> bytes | None:
        self.paths.add(host_path(path))
        return None


def import_from_hosts(
    inventory: Path | str,
    limit: list[str] | None = None,
    host_options: dict[str, str] | None = None,
) -> ImportResult:
    """Import what the inventory's hosts run, with the files their configs name, over SSH.

    `lbctl import -i`, "Import from hosts" in the web app and `POST /api/v1/import/hosts`
    all come here: `limit` picks some of the inventory's hosts (None: all of them).
    """
    from ..deploy import probe_hosts
    from ..deploy.import_fetch import fetch_named_files

    names = _inventory_names(inventory, limit)
    if not names:
        raise ImportRefused(f"inventory {inventory} names no host to import from")
    probes = probe_hosts(Path(inventory), names)
    hosts = []
    for name in names:
        probe = probes[name]
        if not probe.reachable:
            raise ImportRefused(f"host {name}: unreachable ({probe.error})")
        cfg = probe.files.get(HAPROXY_FILE)
        if cfg is None:
            raise ImportRefused(f"host {name}: no haproxy.cfg found")
        ka = probe.files.get(KEEPALIVED_FILE)
        hosts.append(
            HostInput(name, cfg.encode(), ka.encode() if ka is not None else None, _Recording())
        )
    hosts = _hosts_with_options(hosts, host_options or {})
    # A first pass learns which files the configs name; then the hosts send just those.
    with contextlib.suppress(ImportRefused):  # the real pass below says why
        import_hosts(hosts)
    paths = sorted({p for h in hosts if isinstance(h.files, _Recording) for p in h.files.paths})
    fetched = fetch_named_files(Path(inventory), [h.name for h in hosts], paths)
    for host in hosts:
        host.files = MemoryFiles(fetched.get(host.name, {}))
    return _imported(hosts, prove=True)


def inventory_hosts(inventory: Path | str) -> list[str]:
    """Return the names of the inventory's hosts: the ones an import from hosts can read."""
    return _inventory_names(inventory, None)


def _inventory_names(inventory: Path | str, limit: list[str] | None) -> list[str]:
    from ..runtime.targets import InventoryUnreadable, read_targets

    try:
        # str(): Ansible's inventory gives its own string type, which YAML cannot write.
        return [str(name) for name in read_targets(inventory, limit)]
    except InventoryUnreadable as exc:
        raise ImportRefused(str(exc)) from None


# `keepalived -t` exits 5 on anything it reports, also on what keepalived runs with: the
# mapping makes the model mean what keepalived does (an 8-character password, no nopreempt
# on a MASTER, no tracking of an instance's own interface) and lbctl's own keepalived.conf
# enables script security; an empty block holds nothing.
_KEEPALIVED_RUNS_WITH = re.compile(
    r"SECURITY VIOLATION - scripts are being executed but script_security not enabled"
    r"|Truncating auth_pass to 8 characters"
    r"|Warning - nopreempt will not work with initial state MASTER"
    r"|Ignoring track_interface \S+ since own interface"
    r"|Warning - empty \S+ block"
)
# What keepalived says of one line it skips or sets to its default, and runs all the same: an
# unknown (removed, misspelt) keyword, an smtp_server it cannot resolve, a number out of
# range, a state it does not know, a second notify script. The import runs as keepalived
# does when its report dropped or translated that very line: a line the model keeps is never
# excused.
_LINE_MESSAGE = re.compile(r"^\((?:(?P<file>[^()]*): )?Line (?P<line>\d+)\) ")
# keepalived's LVS part (virtual_server) is no model field's business: the mapping drops
# every virtual_server (reported), so what keepalived says of one concerns none of the model.
_LVS_NOTICE = re.compile(r"^Virtual server \[[^\]]*\]:\S+: ")


def _runs_with(message: str, label: str, handled: set[int]) -> bool:
    """Return whether keepalived runs a file that `keepalived -t` says `message` of.

    `handled` holds the lines of `label` the import's report dropped or translated.
    """
    if not message.strip() or _KEEPALIVED_RUNS_WITH.search(message):
        return True
    if _LVS_NOTICE.match(message):
        return True
    skipped = _LINE_MESSAGE.match(message)
    if skipped is None:
        return False
    return skipped["file"] in (None, label) and int(skipped["line"]) in handled


def _handled_lines(report: Report, label: str) -> set[int]:
    return {
        item.where.line
        for item in report.items
        if item.where and item.where.file == label and item.outcome in ("dropped", "translated")
    }


def _prove_originals(hosts: list[HostInput], report: Report) -> None:
    for host in hosts:
        texts = {HAPROXY_FILE: host.haproxy, KEEPALIVED_FILE: host.keepalived}
        for name, data in texts.items():
            if data is None:
                continue
            label = f"{host.name}/{name}"
            if name == HAPROXY_FILE:
                text, pages = error_pages_for_proof(modern_config(data, label), host.files.read)
                attached = {k: AttachedFile("error_page", k, v) for k, v in pages.items()}
                text, lists = pattern_files_for_proof(text, host.files.read)
                text = absolute_certificates_for_proof(text)
                text = crt_lists_for_proof(text, host.files.read)
                text = process_settings_for_proof(text)
                attached |= {k: AttachedFile("map", k, v) for k, v in lists.items()}
                verdict = check_file(host.name, name, text, attached, PROOF_DIR)
            else:
                verdict = check_file(host.name, name, data.decode())
                handled = _handled_lines(report, label)
                if not verdict.ok and all(
                    _runs_with(message, label, handled) for message in verdict.output.splitlines()
                ):
                    continue  # what keepalived only warns of; the mapping carries its effect
            if not verdict.ok:
                raise ImportRefused(
                    f"{host.name}/{name} fails {verdict.tool} as it is; fix the original "
                    f"first:\n{verdict.output}"
                )


def _imported(hosts: list[HostInput], prove: bool) -> ImportResult:
    # The readers run first: binary or broken input is refused before any tool sees it.
    result: Imported = import_hosts(hosts)
    if prove:
        _prove_originals(hosts, result.report)
    try:
        validate_data(result.model)
    except ModelInvalid as exc:
        lines = [f"  {e.path}: {e.message}" for e in exc.errors]
        raise ImportRefused(
            "the importer built a model lbctl refuses (please report it):\n" + "\n".join(lines)
        ) from None
    return ImportResult(dump_model(result.model), result.report, result.files, result.model)


def dump_model(model: dict[str, Any]) -> str:
    """The model as YAML; each server on one line, as a JSON flow mapping (valid YAML).

    PyYAML's representer takes ~10 s for 50,000 servers; JSON writes them in a fraction.
    """
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    header = "# Imported by `lbctl import`: read the report, then `lbctl diff -i`.\n"
    pools = model.get("pools", [])
    servers = [pool.get("servers", []) for pool in pools]
    shell = dict(model)
    shell["pools"] = [
        {**pool, "servers": f"{_SERVERS}{i}"} if pool.get("servers") else pool
        for i, pool in enumerate(pools)
    ]
    text = yaml.dump(shell, Dumper=dumper, sort_keys=False, width=100)

    def expand(match: re.Match[str]) -> str:
        indent = match.group(1)
        items = servers[int(match.group(2))]
        return f"{indent}servers:\n" + "\n".join(f"{indent}- {json.dumps(item)}" for item in items)

    return header + re.sub(rf"^( *)servers: {_SERVERS}(\d+)$", expand, text, flags=re.M)


_SERVERS = "lbctl-import-servers-of-pool-"


def save_import(
    session: Session,
    environment: str,
    actor: Actor,
    result: ImportResult,
    message: str,
    base_revision: int | None,
) -> Revision:
    """Save an import as the environment's next revision, its files uploaded to the store.

    The declared files switch from the file flow (`file:` beside a model file) to the
    store flow: each content is stored (certificates encrypted), then the revision names
    them without `file:`.
    """
    document = copy.deepcopy(result.model)
    for section, kind in _STORED_KINDS.items():
        for entry in document.get(section, []):
            relative = entry.pop("file", None)
            if relative is not None:
                stored.put_file(session, actor, kind, entry["name"], result.files[relative])
    return revisions.save_document(
        session,
        environment,
        document,
        actor,
        message or "Import of the hosts' configs",
        base_revision,
        action="model.import",
    )
