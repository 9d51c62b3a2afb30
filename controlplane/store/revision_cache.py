"""A revision's parsed, validated and rendered forms, computed once per process and reused.

Revisions are immutable and their `content_hash` covers everything they render from (the
canonical document, the secrets through a keyed HMAC, and the stored file versions they
pin), so the hash is the cache key and a new revision never needs an invalidation: it has
a new hash. What a revision yields under today's rules changes only with lbctl's code,
which is a new process.

Each replica of the control plane keeps its own cache and fills it on first use. At
50,000 servers, parsing the stored JSON and validating it takes about 1.5 s and rendering
about 1 s (benchmarks/web_scale.py); storing rendered files in the database would save the
second replica that 1 s once per revision but would add 8 MB to every saved revision and a
schema migration, so it is not done.

The cache is bounded twice: by entries (LRU) and by the total length of the revisions'
canonical JSON, which the memory of the parsed forms follows (about 40 bytes of Python
objects per byte of JSON, measured on the 50,000-server model). `LBCTL_REVISION_CACHE`
sets the entry count (0 disables the cache, as benchmarks do for a "before" figure),
`LBCTL_REVISION_CACHE_MB` the JSON budget.

Callers get shared objects: the documents handed out must be treated as read-only (copy
before editing, as usecases.revisions.edit_document does).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import ModelInvalid
from ..model import LoadedModel, model_document, validate_data
from ..model.secrets import mask_document, secret_values
from .tables import Revision

T = TypeVar("T")

DEFAULT_ENTRIES = 8
DEFAULT_BUDGET_MB = 40  # of canonical JSON: the 50,000-server model is about 5.5 MB


@dataclass
class CacheStats:
    """What the cache did since it was made (tests count validations with it)."""

    hits: int = 0
    misses: int = 0
    validations: int = 0
    evictions: int = 0


@dataclass
class RevisionEntry:
    """Everything derived from one revision; fields fill on first use."""

    key: str
    size: int  # characters of canonical JSON
    source: str
    content: str
    _document: dict[str, Any] | None = None
    _masked: dict[str, Any] | None = None
    _loaded: LoadedModel | None = None
    _invalid: ModelInvalid | None = None
    _memo: dict[str, Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def stored(self) -> dict[str, Any]:
        """Return the revision's content as parsed from the store (keys sorted)."""
        return json.loads(self.content)


class RevisionCache:
    """An LRU of RevisionEntry by revision hash, bounded by count and by JSON size."""

    def __init__(
        self, max_entries: int = DEFAULT_ENTRIES, max_bytes: int = DEFAULT_BUDGET_MB << 20
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        self._entries: OrderedDict[str, RevisionEntry] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def __len__(self) -> int:
        return len(self._entries)

    def weight(self) -> int:
        """Return the characters of canonical JSON the cached entries hold."""
        return sum(e.size for e in self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def entry(self, revision: Revision) -> RevisionEntry:
        """Return the revision's entry, cached (most recently used) or new."""
        key = revision_key(revision)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.stats.hits += 1
                return found
            self.stats.misses += 1
        made = RevisionEntry(
            key=key,
            size=len(revision.content),
            source=f"{revision.environment} revision {revision.number}",
            content=revision.content,
        )
        if self.enabled and made.size <= self.max_bytes:
            with self._lock:
                made = self._entries.setdefault(key, made)  # a concurrent miss may have won
                self._entries.move_to_end(key)
                self._evict()
        return made

    def loaded(self, revision: Revision) -> LoadedModel:
        """Return the revision's validated model and warnings; raises its ModelInvalid."""
        return self._loaded(self.entry(revision))

    def document(self, revision: Revision, masked: bool = True) -> dict[str, Any]:
        """Return the revision's model document in schema order (read-only; copy to edit).

        Raises ModelInvalid when the revision does not validate under today's rules.
        """
        entry = self.entry(revision)
        with entry._lock:
            if entry._document is None:
                entry._document = model_document(self._loaded(entry).model)
            if not masked:
                return entry._document
            if entry._masked is None:
                entry._masked = masked_document(entry._document)
            return entry._masked

    def _loaded(self, entry: RevisionEntry) -> LoadedModel:
        with entry._lock:
            if entry._loaded is None and entry._invalid is None:
                self.stats.validations += 1
                try:
                    entry._loaded = validate_data(entry.stored(), entry.source)
                except ModelInvalid as invalid:
                    entry._invalid = invalid
            if entry._invalid is not None:
                raise entry._invalid
            assert entry._loaded is not None
            return entry._loaded

    def remember(self, revision: Revision, name: str, compute: Callable[[], T]) -> T:
        """Return `compute()` for this revision, computed once (an exception is not kept)."""
        entry = self.entry(revision)
        with entry._lock:
            if name not in entry._memo:
                entry._memo[name] = compute()
            return entry._memo[name]

    def recall(self, revision: Revision, name: str) -> Any | None:
        """Return what `remember` kept under `name`, None when nothing was."""
        key = revision_key(revision)
        with self._lock:
            found = self._entries.get(key)
        return found._memo.get(name) if found is not None else None

    def seed(self, revision: Revision, loaded: LoadedModel, document: dict[str, Any]) -> None:
        """Record what a save already knows about the revision it made (no second validation).

        `document` must be model_document(loaded.model): the schema-ordered document.
        """
        entry = self.entry(revision)
        with entry._lock:
            if entry._loaded is None and entry._invalid is None:
                entry._loaded = loaded
            if entry._document is None:
                entry._document = document

    def _evict(self) -> None:
        total = self.weight()
        while self._entries and (len(self._entries) > self.max_entries or total > self.max_bytes):
            _, dropped = self._entries.popitem(last=False)
            total -= dropped.size
            self.stats.evictions += 1


def masked_document(document: dict[str, Any]) -> dict[str, Any]:
    """Return secrets.mask_document(document), copying only the top-level sections that
    hold a secret (a deep copy of a 50,000-server document took 0.4 s); the others are
    shared with `document`."""
    masked = dict(document)
    for key, value in document.items():
        if secret_values({key: value}):
            masked[key] = mask_document({key: value})[key]
    return masked


def revision_key(revision: Revision) -> str:
    """Return the cache key of a revision: its name and its hash, which covers all it
    renders from (two stores, as tests make, can hold different revisions of one name)."""
    return f"{revision.environment}/{revision.number}/{revision.content_hash}"


def _from_environ() -> RevisionCache:
    entries = int(os.environ.get("LBCTL_REVISION_CACHE", str(DEFAULT_ENTRIES)) or 0)
    budget = int(os.environ.get("LBCTL_REVISION_CACHE_MB", str(DEFAULT_BUDGET_MB)) or 0)
    return RevisionCache(max(entries, 0), max(budget, 0) << 20)


REVISIONS = _from_environ()
