"""The use cases the CLI and the web app both call: validate, render, diff, init."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..diff import FileDiff, diff_attached, diff_files
from ..errors import FieldError, HostsUnreachable, ModelInvalid
from ..paths import example_environment_dir

# deploy/, observe/ and lab/ are imported inside the functions that use them: they load
# ansible-runner (about 0.15 s of `import controlplane.deploy`, measured with -X importtime),
# which `lbctl validate` and `lbctl render` never need. render/ and check.py too (Jinja and
# the render modules, 0.05 s of CPU): `lbctl validate` never renders. The model (pydantic
# and the model classes, about 0.2 s) is imported when a model is validated: a cached
# result (result_cache.py) is written without it.
if TYPE_CHECKING:
    from ..check import CheckReport
    from ..deploy import DeployEvent, DeployResult
    from ..deploy.change_plan import PlannedChange
    from ..deploy.switchover import SwitchoverResult
    from ..model import LoadedModel
    from ..model.config_files import FileContents
    from ..observe import EnvironmentStatus
    from ..observe.drift import DriftReport
    from ..observe.drill import DrillReport
    from ..observe.vip_probe import ProbeStarter
    from ..render import Rendered

Progress = Callable[[str], None]
EventSink = Callable[["DeployEvent"], None]

# render.HAPROXY_FILE and render.KEEPALIVED_FILE, named here so that render/ is not imported.
RENDERED_FILES = ("haproxy.cfg", "keepalived.conf")


@dataclass(frozen=True)
class RenderResult:
    loaded: LoadedModel
    rendered: Rendered
    report: CheckReport | None
    timings: dict[str, float] = field(default_factory=dict)
    contents: FileContents | None = None  # the declared files, as read (file flow)

    @property
    def warnings(self) -> list[FieldError]:
        return self.loaded.warnings


def validate_file(path: Path | str, raw: bytes | None = None) -> tuple[LoadedModel, FileContents]:
    """Return the validated model and the files it declares, read next to it and checked.

    The file flow: each `file:` is read relative to the model file; a file that cannot be
    read or whose content is refused (a key that does not match, an expired certificate...)
    raises ModelInvalid naming the field. The files' warnings join the model's. `raw`: the
    model file's bytes when the caller read them already (and keyed a cache on them).
    """
    from ..model import LoadedModel, load_model_file
    from ..model.file_checks import check_file_contents
    from ..model.file_flow import read_model_files

    loaded = load_model_file(path, raw)
    contents = read_model_files(loaded.model, path)
    found = check_file_contents(loaded.model, contents)
    if found.errors:
        raise ModelInvalid(found.errors, str(path))
    return LoadedModel(loaded.model, loaded.warnings + found.warnings), contents


def render_file(
    path: Path | str,
    binary_check: bool = True,
    progress: Progress | None = None,
    raw: bytes | None = None,
) -> RenderResult:
    """Return the validated, rendered and (unless opted out) binary-checked files.

    Declared files are read next to the model file (the file flow) and ship as each
    host's `attached` files. `raw`: the model file's bytes, when already read.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    loaded, contents = validate_file(path, raw)
    timings["validate"] = time.perf_counter() - started
    result = render_loaded(loaded, binary_check, progress, contents)
    return RenderResult(loaded, result.rendered, result.report, timings | result.timings, contents)


def render_loaded(
    loaded: LoadedModel,
    binary_check: bool = True,
    progress: Progress | None = None,
    contents: FileContents | None = None,
) -> RenderResult:
    """Return the rendering of an already validated model, proven by the binaries.

    `contents` holds the texts of the files the model declares (file or store flow).
    """
    from ..render import render_model

    timings: dict[str, float] = {}
    started = time.perf_counter()
    rendered = render_model(loaded.model, contents)
    timings["render"] = time.perf_counter() - started
    if progress:
        progress(rendered_message(len(rendered.hosts), timings["render"]))
    report = None
    if binary_check:
        started = time.perf_counter()
        report = check_rendered(rendered, progress)
        timings["check"] = time.perf_counter() - started
        report.raise_for_failures()
    return RenderResult(loaded, rendered, report, timings)


class ShippedFile(Protocol):
    """A file shipped beside the configs: render's AttachedFile, or a cached one."""

    @property
    def text(self) -> str: ...

    @property
    def private(self) -> bool: ...


class HostFiles(Protocol):
    """One host's rendered files: render's RenderedHost, or a cached one."""

    @property
    def host(self) -> str: ...

    @property
    def files(self) -> Mapping[str, str]: ...

    @property
    def attached(self) -> Mapping[str, ShippedFile]: ...


class HostsFiles(Protocol):
    """Every host's rendered files: render's Rendered, or a cached one."""

    @property
    def hosts(self) -> Sequence[HostFiles]: ...


def rendered_message(hosts: int, seconds: float) -> str:
    """The progress line of a rendering: how many hosts, in how long."""
    return f"rendered {hosts} hosts in {seconds:.2f}s"


class DeclaredFile(ShippedFile, Protocol):
    """A shipped file that knows what the model calls it (kind and name)."""

    @property
    def kind(self) -> str: ...

    @property
    def name(self) -> str: ...


def prove_files(
    hosts: Sequence[tuple[str, Mapping[str, str], Mapping[str, DeclaredFile]]],
    files_dir: str,
    digest: str,
    progress: Progress | None = None,
) -> CheckReport:
    """Return the binaries' verdict on files rendered before (a cached rendering).

    The same proof `render_loaded` runs; raises CheckFailed as it does.
    """
    from ..render import AttachedFile, Rendered, RenderedHost

    rendered = Rendered(
        digest,
        [
            RenderedHost(
                host,
                dict(files),
                {
                    key: AttachedFile(item.kind, item.name, item.text, item.private)
                    for key, item in attached.items()
                },
            )
            for host, files, attached in hosts
        ],
        files_dir,
    )
    report = check_rendered(rendered, progress)
    report.raise_for_failures()
    return report


def check_rendered(
    rendered: Rendered, progress: Progress | None = None, workers: int = 4
) -> CheckReport:
    """Return the verdict of haproxy -c / keepalived -t on every rendered file (check.py)."""
    from ..check import check_rendered as prove

    return prove(rendered, progress, workers)


def write_rendered(rendered: HostsFiles, out_dir: Path | str) -> list[Path]:
    """Write DIR/<host>/<file> for every host: every file, or none when anything fails.

    The attached files go to DIR/<host>/<key> (certs/site.pem, maps/hosts.map ...); those
    holding a private key are created with mode 0600 and never exist with a wider one, and
    attached files an earlier rendering left there that this one does not ship are removed.
    Files are written to temporaries first and moved into place only when all of them
    exist, so a failure (disk full, permissions) leaves the folder as it was.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".lbctl-staging-", dir=out))
    try:
        moves: list[tuple[Path, Path]] = []
        for host in rendered.hosts:
            for name, text in host.files.items():
                temp = staging / host.host / name
                temp.parent.mkdir(exist_ok=True)
                temp.write_text(text)
                moves.append((temp, out / host.host / name))
            for key, attached in host.attached.items():
                temp = staging / host.host / key
                temp.parent.mkdir(parents=True, exist_ok=True)
                _write_private(temp, attached.text) if attached.private else temp.write_text(
                    attached.text
                )
                moves.append((temp, out / host.host / key))
        for _, target in moves:
            target.parent.mkdir(parents=True, exist_ok=True)
        for temp, target in moves:
            os.replace(temp, target)
        for host in rendered.hosts:
            _remove_unshipped(out / host.host, set(host.attached))
        return [target for _, target in moves]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_unshipped(host_dir: Path, keys: set[str]) -> None:
    """Remove attached files an earlier rendering wrote that this one no longer ships.

    The folder then holds this rendering only, so `diff --against` it shows no file as
    removed forever; only the folders attached files live in are looked at.
    """
    for folder in ATTACHED_FOLDERS:
        for path in sorted((host_dir / folder).rglob("*")) if (host_dir / folder).is_dir() else []:
            if path.is_file() and path.relative_to(host_dir).as_posix() not in keys:
                path.unlink()


def _write_private(path: Path, text: str) -> None:
    """Create `path` with mode 0600 before any byte of the key is in it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def read_attached_dir(directory: Path | str, rendered: Rendered) -> dict[str, dict[str, str]]:
    """Return host -> key -> text of the attached files found under a rendered folder.

    Looks at the keys the rendering ships and at every file under the folders attached
    files live in (certs/, ca/, crl/, maps/, errors/), so a removed file shows too.
    """
    root = Path(directory)
    found: dict[str, dict[str, str]] = {}
    for host in rendered.hosts:
        host_dir = root / host.host
        if not host_dir.is_dir():
            continue
        keys = set(host.attached)
        for folder in ATTACHED_FOLDERS:
            if (host_dir / folder).is_dir():
                keys |= {
                    p.relative_to(host_dir).as_posix()
                    for p in (host_dir / folder).rglob("*")
                    if p.is_file()
                }
        texts = {key: _read_exact(host_dir / key) for key in sorted(keys)}
        found[host.host] = {k: t for k, t in texts.items() if t is not None}
    return found


def _read_exact(path: Path) -> str | None:
    """The text as written, line ends kept (an error page's CRLFs are part of it)."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None


ATTACHED_FOLDERS = ("certs", "ca", "crl", "maps", "errors")


def read_rendered_dir(directory: Path | str) -> dict[str, dict[str, str | None]]:
    """Return host -> file -> text for a folder laid out like `lbctl render --out`."""
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    found: dict[str, dict[str, str | None]] = {}
    for host_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = {name: _read_text(host_dir / name) for name in RENDERED_FILES}
        if any(text is not None for text in files.values()):
            found[host_dir.name] = files
    return found


def diff_against_dir(rendered: Rendered, directory: Path | str) -> list[FileDiff]:
    """Return the per-host, per-file diff of a rendering against a rendered folder."""
    expected = {h.host: h.files for h in rendered.hosts}
    attached = {h.host: {k: a.text for k, a in h.attached.items()} for h in rendered.hosts}
    return diff_files(expected, read_rendered_dir(directory)) + diff_attached(
        attached, read_attached_dir(directory, rendered)
    )


@dataclass(frozen=True)
class DeployPreview:
    """What deploying a file would do: the diffs, each change's path, the VIPs it may move."""

    diffs: list[FileDiff]
    changes: list[PlannedChange]  # per host and file: runtime API, reload or keepalived reload
    vip_moves: list[str]  # in words, each VIP a deploy may move to another host


def diff_hosts(
    path: Path | str,
    inventory: Path | str,
    limit: list[str] | None = None,
    on_event: EventSink | None = None,
    progress: Progress | None = None,
) -> DeployPreview:
    """Return the plan of the file's rendering against the files the hosts run.

    Raises HostsUnreachable when any host cannot be asked: a partial answer would hide
    changes.
    """
    from ..deploy import diff_deployed, probe_hosts
    from ..deploy.attached import attached_texts
    from ..deploy.change_plan import plan_hosts
    from ..deploy.sequence import vip_moves
    from ..render import KEEPALIVED_FILE

    result = render_file(path, True, progress)
    probes = probe_hosts(
        Path(inventory), _hosts(result.rendered, limit), on_event, result.rendered.files_dir
    )
    unreachable = {p.host: p.error for p in probes.values() if not p.reachable}
    if unreachable:
        raise HostsUnreachable(unreachable)
    expected = {h.host: dict(h.files) for h in result.rendered.hosts if h.host in probes}
    live = {host: probe.files for host, probe in probes.items()}
    return DeployPreview(
        diffs=diff_deployed(result.rendered, probes),
        changes=[
            change
            for plan in plan_hosts(
                live,
                expected,
                {host: probe.attached for host, probe in probes.items()},
                attached_texts(result.rendered),
            )
            for change in plan.changes
        ],
        vip_moves=[
            line
            for host, files in expected.items()
            for line in vip_moves(host, live[host].get(KEEPALIVED_FILE), files[KEEPALIVED_FILE])
        ],
    )


def deploy_file(
    path: Path | str,
    inventory: Path | str,
    limit: list[str] | None = None,
    on_event: EventSink | None = None,
    progress: Progress | None = None,
    lock_wait_s: float = 0.0,
) -> DeployResult:
    """Return the per-host result of deploying the file's rendering (BACKUP first)."""
    from ..deploy import deploy_environment

    result = render_file(path, True, progress)
    inventory = Path(inventory)
    return deploy_environment(
        result.loaded.model,
        result.rendered,
        inventory,
        environment_name(inventory),
        limit,
        on_event,
        lock_wait_s,
    )


def drift_file(
    path: Path | str, inventory: Path | str, limit: list[str] | None = None
) -> DriftReport:
    """Return every difference between the hosts (files, runtime) and the file's rendering."""
    from ..observe.drift import collect_drift

    result = render_file(path, binary_check=False)
    return collect_drift(result.loaded.model, result.rendered, Path(inventory), limit)


def switch_pair(
    inventory: Path | str,
    pair: str,
    source: str | None = None,
    timeout_s: float = 30.0,
    progress: Progress | None = None,
) -> SwitchoverResult:
    """Return once the pair's VIPs moved off `source` (default its MASTER), which stays drained."""
    from ..deploy.switchover import switch_over

    return switch_over(Path(inventory), pair, source, timeout_s, progress)


def switch_pair_back(
    inventory: Path | str, pair: str, timeout_s: float = 30.0, progress: Progress | None = None
) -> SwitchoverResult:
    """Return once the pair's drained host is undrained and has its VIPs back."""
    from ..deploy.switchover import switch_back

    return switch_back(Path(inventory), pair, timeout_s, progress)


def drill_probe(inventory: Path | str, pair: str, url: str | None, lab: bool) -> ProbeStarter:
    """Return the probe of a drill: from the lab's client namespace, or from here.

    In the lab without a URL, the pair's first VIP on port 80 is probed.
    """
    from ..lab.probe import NamespaceProbe
    from ..observe.vip_probe import LocalProbe

    if not lab:
        if not url:
            raise ValueError("a probe URL is needed outside the lab")
        return LocalProbe(url)
    from .. import lab as lab_api
    from ..deploy.switchover import read_pair

    running = lab_api.current()
    if running is None:
        raise RuntimeError("the lab is not up (lbctl lab up)")
    url = url or f"http://{read_pair(Path(inventory), pair).vips[0]}/"
    return NamespaceProbe(running.client_ns, url)


def drill_pair(
    inventory: Path | str,
    pair: str,
    probe: ProbeStarter,
    hold_s: float = 2.0,
    timeout_s: float = 30.0,
    progress: Progress | None = None,
) -> DrillReport:
    """Return the figures of a failover drill of `pair` (outage, time to MASTER, restore)."""
    from ..observe.drill import failover_drill

    return failover_drill(
        Path(inventory), pair, probe, hold_s=hold_s, timeout_s=timeout_s, on_step=progress
    )


def environment_status(
    inventory: Path | str, limit: list[str] | None = None, on_event: EventSink | None = None
) -> EnvironmentStatus:
    """Return the live state of the inventory's LB hosts, with critical findings."""
    from ..observe import collect_status

    return collect_status(Path(inventory), limit, on_event)


def environment_name(inventory: Path) -> str:
    """Return the environment an inventory belongs to: the name of its folder."""
    return inventory.resolve().parent.name


def _hosts(rendered: Rendered, limit: list[str] | None) -> list[str]:
    return [h.host for h in rendered.hosts if not limit or h.host in limit]


def model_schema() -> dict[str, Any]:
    """Return the JSON Schema of the model file format."""
    from ..model import LbModel

    schema = LbModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def init_environment(directory: Path | str) -> list[Path]:
    """Write an example environment (model + Ansible inventory) into a new or empty folder."""
    target = Path(directory)
    sources = sorted(p for p in example_environment_dir().iterdir() if p.is_file())
    clashes = [target / p.name for p in sources if (target / p.name).exists()]
    if clashes:
        raise FileExistsError(f"{clashes[0]} already exists; not overwriting anything")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        shutil.copyfile(source, target / source.name)
        written.append(target / source.name)
    return written


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None
