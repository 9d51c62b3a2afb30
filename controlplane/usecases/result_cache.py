"""A persistent cache of `lbctl validate` / `lbctl render` results, keyed by what made them.

A model file is validated and rendered once; running the same command on the same inputs
again reads the result back instead of importing pydantic, parsing and validating 50,000
servers and rendering them again. The key is the sha256 of everything that decides the
output:

- the model file's bytes and its absolute path (warnings and the summary name it);
- the bytes of every file the model declares with `file:` (certificates, maps, error
  pages...), read again and hashed on every lookup;
- lbctl's version, the source of the `controlplane` package, the templates in use
  (`$LBCTL_TEMPLATES` or the shipped ones), the Python version and the installed versions
  of the libraries that parse, validate and render (pydantic, ryaml, Jinja...): an upgrade
  or a local edit starts afresh;
- the command and its options.

An entry holds what the command prints (warnings, counts) and, for render, the rendered
files; a command that fails is never stored, so errors always come from a full run.
Results that depend on the clock are not stored either: a model that declares
certificates, CA bundles or CRLs is checked against the current time (expiry, days left).

Entries live under $XDG_CACHE_HOME/lbctl (else ~/.cache/lbctl), a folder only its owner
may read (0700, files 0600): rendered files hold VRRP passwords and private keys. An entry
is a folder written under a temporary name and renamed into place, holding `entry.json`
(read with `json`, never executed) and the files as plain UTF-8; an entry that does not
parse, whose key or file digests do not match, is ignored. The newest MAX_ENTRIES entries
within MAX_BYTES are kept. `LBCTL_CACHE=0` (or the commands' `--no-cache`) turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..paths import templates_dir

if TYPE_CHECKING:
    from ..check import CheckReport

Progress = Callable[[str], None]

CACHE_ENV = "LBCTL_CACHE"  # "0": neither read nor write the cache
FORMAT = "lbctl-result-cache/1"
MAX_ENTRIES = 32
MAX_BYTES = 512 * 2**20
# The file flow's limit on one declared file (model/config_files.py MAX_FILE_BYTES).
_MAX_FILE_BYTES = 16 * 2**20
# Declared files whose checks read the clock (expiry, days left): their results are not kept.
CLOCK_CHECKED_KINDS = frozenset({"certificate", "ca_bundle", "crl"})
# The libraries whose behaviour is part of the output (parse, validate, error texts, render).
_LIBRARIES = ("pydantic", "pydantic_core", "ryaml", "jinja2", "markupsafe", "click")
_STALE_TEMP_S = 3600.0
_ENTRY_FILE = "entry.json"


@dataclass(frozen=True)
class ModelInput:
    """A model file as read once: its path, bytes and their sha256."""

    path: Path
    raw: bytes
    digest: str


@dataclass(frozen=True)
class CachedAttached:
    """A declared file shipped with a host's configs, as a cached rendering holds it."""

    kind: str
    name: str
    text: str
    private: bool


@dataclass(frozen=True)
class CachedHost:
    """One host's files in a cached rendering (what `files.write_rendered` writes)."""

    host: str
    files: dict[str, str]
    attached: dict[str, CachedAttached] = field(default_factory=dict)


@dataclass(frozen=True)
class CachedResult:
    """What a command computed: `record` (JSON: warnings, counts...) and rendered hosts."""

    record: dict[str, Any]
    hosts: list[CachedHost] = field(default_factory=list)
    files_dir: str = ""


def enabled(no_cache: bool = False) -> bool:
    """Return whether commands use the cache: not with --no-cache or LBCTL_CACHE=0."""
    return not no_cache and os.environ.get(CACHE_ENV, "1") != "0"


def cache_root() -> Path:
    """Return $XDG_CACHE_HOME/lbctl, else ~/.cache/lbctl."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "lbctl"


# Model files read before the command ran (the CLI looks before it starts parse_ahead).
_read_early: dict[str, ModelInput] = {}


def read_model(path: Path | str, early: bool = False) -> ModelInput:
    """Read a model file once; raises OSError as reading it does.

    `early`: keep what was read for the next call with the same path, which takes it.
    """
    key = str(path)
    if not early and key in _read_early:
        return _read_early.pop(key)
    raw = Path(path).read_bytes()
    found = ModelInput(Path(path), raw, hashlib.sha256(raw).hexdigest())
    if early:
        _read_early[key] = found
    return found


def declared_digests(model: object, contents: Any) -> dict[str, str] | None:
    """Return path -> sha256 of each file the model declares with `file:`, as read.

    None when the result depends on the clock (a declared certificate, CA bundle or CRL
    is checked against the current time): such a result is not stored. The texts are what
    the file flow decoded from UTF-8, so encoding them again gives the bytes it read.
    """
    from ..model.config_files import declared_files

    found: dict[str, str] = {}
    for declared in declared_files(model):
        if declared.kind in CLOCK_CHECKED_KINDS:
            return None
        if declared.file is None:
            continue
        text = contents.get(declared.kind, declared.name)
        if text is None:
            return None
        found[declared.file] = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return found


# --- the key -----------------------------------------------------------------------------


def base_key(command: str, options: Mapping[str, Any], model: ModelInput) -> str:
    """Return the key of everything but the declared files (those are checked per entry)."""
    parts = {
        "format": FORMAT,
        "command": command,
        "options": dict(sorted(options.items())),
        "lbctl": __version__,
        "code": code_digest(),
        "python": sys.version,
        "libraries": library_versions(),
        "model_path": str(model.path.resolve()),
        "model": model.digest,
    }
    return _sha256_json(parts)


def full_key(base: str, declared: Iterable[tuple[str, str]]) -> str:
    """Return the key over the base key and each declared file's (path, sha256)."""
    return _sha256_json({"base": base, "declared": sorted(declared)})


# The running code does not change while it runs: its digest is computed once a process.
_code_digest: str | None = None


def code_digest() -> str:
    """Return the sha256 of the package's Python source and of the templates in use.

    About 240 files, 1.4 MB: 10 ms. Hashing content (not times) makes a local edit, a
    checkout of another branch or an upgrade a different key. The templates are read
    again on each call: they are read from disk on each rendering too.
    """
    global _code_digest
    if _code_digest is None:
        _code_digest = _folder_digest(Path(__file__).resolve().parent.parent, ".py")
    return _sha256_json([_code_digest, _folder_digest(templates_dir(), None)])


def _folder_digest(root: Path, suffix: str | None) -> str:
    digest = hashlib.sha256()
    for path in _files_under(root):
        if suffix is None or path.suffix == suffix:
            digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _files_under(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(names):
            path = Path(folder, name)
            if path.is_file():
                yield path


def library_versions() -> dict[str, str]:
    """Return the installed distribution (name-version) of each library in the output.

    Read from the `*.dist-info` folder names beside the imported packages, without
    importing them (pydantic alone costs 0.1 s to import).
    """
    found: dict[str, str] = {}
    wanted = {name.lower(): name for name in _LIBRARIES}
    for folder in dict.fromkeys(p for p in sys.path if p and os.path.isdir(p)):
        with contextlib.suppress(OSError):
            for entry in os.listdir(folder):
                if not entry.endswith(".dist-info"):
                    continue
                name = entry.removesuffix(".dist-info").rsplit("-", 1)[0].lower()
                name = name.replace("-", "_")
                if name in wanted and wanted[name] not in found:
                    found[wanted[name]] = entry
    return found


def _sha256_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


# --- lookup and store --------------------------------------------------------------------


class ResultCache:
    """The cache folder: look up and store command results."""

    def __init__(
        self,
        root: Path | None = None,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.root = (root if root is not None else cache_root()) / "v1"
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    def has(self, command: str, options: Mapping[str, Any], model: ModelInput) -> bool:
        """Return whether an entry may answer (its declared files are checked by lookup)."""
        folder = self.root / f"{command}-{base_key(command, options, model)}"
        return (folder / _ENTRY_FILE).is_file()

    def lookup(
        self, command: str, options: Mapping[str, Any], model: ModelInput
    ) -> CachedResult | None:
        """Return the stored result of this command on these inputs, or None."""
        base = base_key(command, options, model)
        folder = self.root / f"{command}-{base}"
        try:
            if not self._private_folder(self.root, create=False):
                return None
            entry = _read_entry(folder)
            if entry is None:
                return None
            declared = _declared_digests(model.path, entry.get("declared"))
            if declared is None or entry.get("key") != full_key(base, declared):
                return None
            result = _result_of(folder, entry)
            if result is not None:
                with contextlib.suppress(OSError):
                    os.utime(folder)  # the newest used entries are the ones kept
            return result
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None  # unreadable, foreign or corrupt: computed again

    def store(
        self,
        command: str,
        options: Mapping[str, Any],
        model: ModelInput,
        declared: Mapping[str, str],
        result: CachedResult,
    ) -> bool:
        """Store a result; return whether it was. Never raises: the cache is only a speed-up.

        `declared` maps each path the model declares with `file:` (relative to the model
        file's folder) to the sha256 of the bytes the command read.
        """
        try:
            if not self._private_folder(self.root, create=True):
                return False
            base = base_key(command, options, model)
            hosts: list[dict[str, Any]] = []
            entry = {
                "format": FORMAT,
                "key": full_key(base, declared.items()),
                "declared": sorted(declared.items()),
                "record": result.record,
                "files_dir": result.files_dir,
                "hosts": hosts,
            }
            staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))  # mode 0700
            try:
                blob = 0
                for host in result.hosts:
                    files = []
                    for name, text in host.files.items():
                        files.append([name, *_write_blob(staging, blob, text)])
                        blob += 1
                    attached = []
                    for key, item in host.attached.items():
                        blob_name, digest = _write_blob(staging, blob, item.text)
                        attached.append(
                            [key, item.kind, item.name, item.private, blob_name, digest]
                        )
                        blob += 1
                    hosts.append({"host": host.host, "files": files, "attached": attached})
                _write_private(staging / _ENTRY_FILE, json.dumps(entry).encode())
                _move_into_place(staging, self.root / f"{command}-{base}")
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            self.prune()
            return True
        except (OSError, ValueError, TypeError):
            return False

    def prune(self) -> None:
        """Keep the newest `max_entries` entries within `max_bytes`; drop stale temporaries."""
        now = time.time()
        entries: list[tuple[float, int, Path]] = []
        for path in self.root.iterdir():
            info = path.lstat()
            if path.name.startswith("."):
                if now - info.st_mtime > _STALE_TEMP_S:
                    shutil.rmtree(path, ignore_errors=True)
                continue
            if stat.S_ISDIR(info.st_mode):
                size = sum(f.stat().st_size for f in path.iterdir())
                entries.append((info.st_mtime, size, path))
        entries.sort(key=lambda e: e[0], reverse=True)
        total = 0
        for index, (_, size, path) in enumerate(entries):
            total += size
            if index >= self.max_entries or total > self.max_bytes:
                shutil.rmtree(path, ignore_errors=True)

    @staticmethod
    def _private_folder(folder: Path, create: bool) -> bool:
        """Return whether `folder` is a real folder only this user can use (made 0700)."""
        for path in (folder.parent, folder):
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileExistsError):
                    path.mkdir(mode=0o700)
            try:
                info = path.lstat()
            except FileNotFoundError:
                return False
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
                return False  # a symbolic link or someone else's folder: not used
            if info.st_mode & 0o077:
                os.chmod(path, 0o700)
        return True


def _read_entry(folder: Path) -> dict[str, Any] | None:
    try:
        text = (folder / _ENTRY_FILE).read_bytes()
    except FileNotFoundError:
        return None
    entry = json.loads(text)
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return None
    return entry


def _declared_digests(model_path: Path, declared: Any) -> list[tuple[str, str]] | None:
    """Return (path, sha256 of its bytes now) of each declared file, None if one cannot be read.

    The file flow's own conditions (model/file_flow.py): inside the model file's folder,
    a regular file, at most 16 MiB. Anything else is left to a full run to report.
    """
    if not isinstance(declared, list):
        return None
    base = model_path.resolve().parent
    found = []
    for item in declared:
        relative = str(item[0])
        try:
            resolved = (base / relative).resolve(strict=True)
            if not resolved.is_relative_to(base) or not resolved.is_file():
                return None
            with resolved.open("rb") as handle:
                data = handle.read(_MAX_FILE_BYTES + 1)
        except OSError:
            return None
        if len(data) > _MAX_FILE_BYTES:
            return None
        found.append((relative, hashlib.sha256(data).hexdigest()))
    return found


def _result_of(folder: Path, entry: dict[str, Any]) -> CachedResult | None:
    """Return the entry's result with every file read back and its digest checked."""
    record = entry["record"]
    if not isinstance(record, dict) or not isinstance(entry["files_dir"], str):
        return None
    hosts = []
    for host in entry["hosts"]:
        files = {}
        for name, blob, digest in host["files"]:
            text = _read_blob(folder, blob, digest)
            if text is None:
                return None
            files[str(name)] = text
        attached = {}
        for key, kind, name, private, blob, digest in host["attached"]:
            text = _read_blob(folder, blob, digest)
            if text is None:
                return None
            attached[str(key)] = CachedAttached(str(kind), str(name), text, private is True)
        hosts.append(CachedHost(str(host["host"]), files, attached))
    return CachedResult(record, hosts, entry["files_dir"])


def _blob_name(index: int) -> str:
    return f"{index}.txt"


def _write_blob(folder: Path, index: int, text: str) -> tuple[str, str]:
    data = text.encode("utf-8", "surrogatepass")
    _write_private(folder / _blob_name(index), data)
    return _blob_name(index), hashlib.sha256(data).hexdigest()


def _read_blob(folder: Path, name: Any, digest: Any) -> str | None:
    if not isinstance(name, str) or "/" in name or name.startswith("."):
        return None  # only a file of this entry, by its own name
    data = (folder / name).read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        return None
    return data.decode("utf-8", "surrogatepass")


def _write_private(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 (never wider, whatever the umask) and write `data`."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename the finished entry to its name, replacing an older one with the same name."""
    try:
        os.rename(staging, target)
        return
    except OSError:
        if not target.exists():
            raise
    old = Path(tempfile.mkdtemp(prefix=".old-", dir=target.parent))
    os.rename(target, old / "entry")
    try:
        os.rename(staging, target)
    finally:
        shutil.rmtree(old, ignore_errors=True)


# --- the commands, through the cache -----------------------------------------------------


@dataclass(frozen=True)
class ValidationSummary:
    """What `lbctl validate` prints of a valid model: its warnings and its counts."""

    warnings: list[str]
    lb_hosts: int
    vip_pairs: int
    pools: int
    servers: int
    frontends: int


@dataclass(frozen=True)
class Rendering:
    """What `lbctl render` writes and prints: the files, warnings, proof and model hash."""

    hosts: list[CachedHost]
    warnings: list[str]
    report: CheckReport | None
    model_hash: str


def validate_file_cached(path: Path | str, use_cache: bool = True) -> ValidationSummary:
    """Return what validating a model file finds; raises ModelInvalid as validate_file does.

    A valid model's summary is kept under the key of its inputs and read back next time.
    """
    from . import files

    cache, model = _cache_and_model(path, use_cache)
    if cache is not None and model is not None:
        hit = cache.lookup("validate", {}, model)
        if hit is not None and _is_summary(hit.record):
            return ValidationSummary(**hit.record)
    loaded, contents = files.validate_file(path, model.raw if model else None)
    m = loaded.model
    summary = ValidationSummary(
        [str(w) for w in loaded.warnings],
        len(m.lb_hosts),
        len(m.vip_pairs),
        len(m.pools),
        sum(len(p.servers) for p in m.pools),
        len(m.frontends),
    )
    declared = declared_digests(m, contents)
    if cache is not None and model is not None and declared is not None:
        cache.store("validate", {}, model, declared, CachedResult(asdict(summary)))
    return summary


def render_file_cached(
    path: Path | str,
    binary_check: bool = True,
    progress: Progress | None = None,
    use_cache: bool = True,
) -> Rendering:
    """Return the rendering of a model file, proven unless opted out, as render_file does.

    The rendering is kept under the key of its inputs and read back next time; the binary
    check runs either way (its verdict depends on the binaries installed here).
    """
    from . import files

    started = time.perf_counter()
    cache, model = _cache_and_model(path, use_cache)
    if cache is not None and model is not None:
        hit = cache.lookup("render", {}, model)
        if hit is not None and _is_render_record(hit.record):
            record = hit.record
            if progress:
                # The time this run took, and where the files came from: a hit must not
                # pass off the first run's rendering time as its own.
                took = time.perf_counter() - started
                progress(files.rendered_message(len(hit.hosts), took) + " (from the cache)")
            report = None
            if binary_check:
                hosts = [(h.host, h.files, h.attached) for h in hit.hosts]
                report = files.prove_files(hosts, hit.files_dir, record["model_hash"], progress)
            return Rendering(hit.hosts, record["warnings"], report, record["model_hash"])
    result = files.render_file(path, binary_check, progress, model.raw if model else None)
    cached_hosts = [
        CachedHost(
            h.host,
            dict(h.files),
            {k: CachedAttached(a.kind, a.name, a.text, a.private) for k, a in h.attached.items()},
        )
        for h in result.rendered.hosts
    ]
    record = {
        "warnings": [str(w) for w in result.warnings],
        "model_hash": result.rendered.model_hash,
        "render_s": result.timings.get("render", 0.0),
    }
    declared = declared_digests(result.loaded.model, result.contents)
    if cache is not None and model is not None and declared is not None:
        files_dir = result.rendered.files_dir
        cache.store("render", {}, model, declared, CachedResult(record, cached_hosts, files_dir))
    return Rendering(cached_hosts, record["warnings"], result.report, record["model_hash"])


def _cache_and_model(
    path: Path | str, use_cache: bool
) -> tuple[ResultCache | None, ModelInput | None]:
    """Return the cache and the model file as read, or Nones to run without the cache.

    A file that cannot be read is left to the command, whose error names it.
    """
    if not use_cache:
        return None, None
    try:
        return ResultCache(), read_model(path)
    except OSError:
        return None, None


def _is_summary(record: dict[str, Any]) -> bool:
    names = ("lb_hosts", "vip_pairs", "pools", "servers", "frontends")
    return (
        set(record) == {"warnings", *names}
        and _is_text_list(record["warnings"])
        and all(type(record[n]) is int for n in names)
    )


def _is_render_record(record: dict[str, Any]) -> bool:
    return (
        set(record) == {"warnings", "model_hash", "render_s"}
        and _is_text_list(record["warnings"])
        and isinstance(record["model_hash"], str)
        and isinstance(record["render_s"], float | int)
    )


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
