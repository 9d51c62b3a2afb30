"""The files a config needs (certificates, CA bundles, CRLs, maps, error pages) on a deploy.

A rendering carries them per host (`RenderedHost.attached`: key under `files_dir` -> file);
the deploy ships them with haproxy.cfg as one unit (playbooks/deploy.yml, lbctl_stage and
lbctl_haproxy_apply), and the change plan says which of their changes the runtime API can
apply without a reload. The same rule decides on the host (lbctl_host.runtime_kind): a
changed certificate, CA file, CRL file or map keeps its name and haproxy.cfg is unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..render import Rendered

# Key prefix under files_dir -> the runtime API kind that replaces such a file.
_RUNTIME_KINDS = {"certs/": "cert", "ca/": "ca-file", "crl/": "crl-file", "maps/": "map"}
# HAProxy refuses a CLI command longer than its buffer (tune.bufsize, 16384 bytes by
# default); a larger certificate, CA or CRL file goes by reload. Maps go in chunks.
RUNTIME_PAYLOAD_LIMIT = 15000
_WORDS = {
    "cert": "set ssl cert + commit",
    "ca-file": "set ssl ca-file + commit",
    "crl-file": "set ssl crl-file + commit",
    "map": "prepare map + add map + commit map",
}


@dataclass(frozen=True)
class ShippedFile:
    """One attached file as the deploy ships it; its text never shows in a repr."""

    key: str  # path under files_dir: certs/site.pem
    text: str = field(repr=False)
    private: bool = False  # holds a private key: installed with the key mode (0600)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def runtime_kind(key: str) -> str | None:
    """Return the runtime API kind that replaces `key` without a reload (None: reload)."""
    if key.endswith(".crt-list"):
        return None  # which certificates a frontend offers: only a reload changes it
    return next((kind for prefix, kind in _RUNTIME_KINDS.items() if key.startswith(prefix)), None)


def shipped_files(rendered: Rendered, host: str) -> tuple[str, tuple[ShippedFile, ...]]:
    """Return the host's files_dir and its attached files.

    files_dir goes with a config that has none too: files a previous deploy shipped are
    then removed once this one succeeded.
    """
    rendered_host = rendered.host(host)
    attached: Mapping[str, Any] = getattr(rendered_host, "attached", None) or {}
    files_dir = str(
        getattr(rendered_host, "files_dir", None) or getattr(rendered, "files_dir", None) or ""
    )
    files = tuple(
        ShippedFile(key, str(item.text), bool(getattr(item, "private", False)))
        for key, item in sorted(attached.items())
    )
    return files_dir, files


def digest(text: str) -> str:
    """Return the SHA-256 of a file's text: what a plan compares (a host reports no more)."""
    return hashlib.sha256(text.encode()).hexdigest()


def attached_digests(rendered: Rendered) -> dict[str, dict[str, str]]:
    """Return host -> key -> digest of every attached file of a rendering."""
    return {
        h.host: {
            key: digest(str(f.text)) for key, f in (getattr(h, "attached", None) or {}).items()
        }
        for h in rendered.hosts
    }


def attached_texts(rendered: Rendered) -> dict[str, dict[str, str]]:
    """Return host -> key -> text of every attached file of a rendering (holds keys)."""
    return {
        h.host: {key: str(f.text) for key, f in (getattr(h, "attached", None) or {}).items()}
        for h in rendered.hosts
    }


def attached_changes(
    old: Mapping[str, str], new: Mapping[str, str], config_reloads: bool
) -> list[tuple[str, str, bool]]:
    """Return (key, what changed, by the runtime API?) for each attached file that differs.

    `old` maps a key to its content's digest (`digest`), `new` to its text; `config_reloads`
    says whether haproxy.cfg needs a reload anyway (then every file goes with it). The
    runtime API is used only when it can apply every file change: one reload carries them
    all otherwise.
    """
    found = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            found.append((key, "new file", False))
        elif key not in new:
            found.append((key, "removed", False))
        elif old[key] != digest(new[key]):
            kind = runtime_kind(key)
            fits = _map_has_values(new[key]) if kind == "map" else _fits_one_buffer(new[key])
            found.append((key, "content changed", kind is not None and fits))
    if config_reloads or not all(runtime for _key, _what, runtime in found):
        return [(key, what, False) for key, what, _runtime in found]
    return [
        (key, f"{what} ({_WORDS[runtime_kind(key) or 'cert']}, no reload)", True)
        for key, what, _runtime in found
    ]


def _fits_one_buffer(text: str) -> bool:
    return len(text.encode()) <= RUNTIME_PAYLOAD_LIMIT


def _map_has_values(text: str) -> bool:
    """Return whether every entry of a map file has a value (`add map` refuses a bare key)."""
    entries = [line.strip() for line in text.splitlines()]
    return all(len(e.split(None, 1)) == 2 for e in entries if e and not e.startswith("#"))
