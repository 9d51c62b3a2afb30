"""`lbctl validate` / `lbctl render` through the result cache: a hit is a cold run, faster."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from controlplane import cli
from controlplane.cli import main
from controlplane.paths import templates_dir
from controlplane.usecases import files, result_cache
from tests.support import EXAMPLE, ROOT, needs_binaries


def lbctl(cache: Path, *args: str, **env: str) -> Result:
    """Run lbctl in this process with the cache at `cache` (on unless env says otherwise)."""
    environment = {"XDG_CACHE_HOME": str(cache), "LBCTL_CACHE": "1", **env}
    return CliRunner().invoke(main, list(args), env=environment)


def printed(result: Result) -> tuple[int, str, str]:
    return result.exit_code, result.stdout, result.stderr


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def entries(cache: Path) -> list[Path]:
    root = cache / "lbctl" / "v1"
    return sorted(p for p in root.iterdir() if not p.name.startswith(".")) if root.exists() else []


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """The example model with a map and an error page read next to it (the file flow)."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["maps"] = [{"name": "hosts", "file": "maps/hosts.map"}]
    data["error_pages"] = [{"name": "maintenance", "status": 503, "file": "errors/503.http"}]
    folder = tmp_path / "env"
    (folder / "maps").mkdir(parents=True)
    (folder / "errors").mkdir()
    (folder / "maps" / "hosts.map").write_text("www.example.com app\n")
    (folder / "errors" / "503.http").write_text(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nlater\r\n"
    )
    path = folder / "lb.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _no_validation(*args: object, **kwargs: object) -> None:
    raise AssertionError("validated although the result was cached")


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The model files validated from now on (not answered by the cache)."""
    seen: list[str] = []
    validate = files.validate_file

    def counted(path: Path | str, raw: bytes | None = None) -> object:
        seen.append(str(path))
        return validate(path, raw)

    monkeypatch.setattr(files, "validate_file", counted)
    return seen


def test_validate_hit_prints_exactly_what_the_cold_run_printed(model, cache, monkeypatch):
    cold = printed(lbctl(cache, "validate", str(model)))
    assert cold[0] == 0 and "warning: error_pages[maintenance]" in cold[2]
    monkeypatch.setattr(files, "validate_file", _no_validation)
    assert printed(lbctl(cache, "validate", str(model))) == cold


def test_render_hit_writes_byte_identical_files_and_prints_the_same(
    model, cache, tmp_path, monkeypatch
):
    cold = printed(
        lbctl(cache, "render", str(model), "--out", str(tmp_path / "a"), "--skip-binary-check")
    )
    assert cold[0] == 0
    monkeypatch.setattr(files, "validate_file", _no_validation)
    hit = printed(
        lbctl(cache, "render", str(model), "--out", str(tmp_path / "b"), "--skip-binary-check")
    )
    assert hit[:2] == (cold[0], cold[1].replace(str(tmp_path / "a"), str(tmp_path / "b")))
    # stderr: the same, but the progress line gives this run's time and says "from the cache".
    assert "(from the cache)" in hit[2] and "(from the cache)" not in cold[2]
    assert _timeless(hit[2]) == _timeless(cold[2])
    assert tree(tmp_path / "b") == tree(tmp_path / "a")
    assert (tmp_path / "b" / "lb1" / "maps" / "hosts.map").read_text() == "www.example.com app\n"


def test_a_hit_on_a_rendered_folder_keeps_its_file_modes(model, cache, tmp_path):
    args = ("render", str(model), "--out", str(tmp_path / "out"), "--skip-binary-check")
    lbctl(cache, *args)
    before = {p: p.stat().st_mode for p in (tmp_path / "out").rglob("*")}
    assert lbctl(cache, *args).exit_code == 0
    assert {p: p.stat().st_mode for p in (tmp_path / "out").rglob("*")} == before


def test_changing_a_declared_file_misses(model, cache, tmp_path):
    args = ("render", str(model), "--skip-binary-check", "--out")
    lbctl(cache, *args, str(tmp_path / "a"))
    (model.parent / "maps" / "hosts.map").write_text("www.example.com other\n")
    assert lbctl(cache, *args, str(tmp_path / "b")).exit_code == 0
    assert (tmp_path / "b" / "lb1" / "maps" / "hosts.map").read_text() == "www.example.com other\n"


def test_a_declared_file_that_disappeared_is_reported_as_a_cold_run_reports_it(model, cache):
    lbctl(cache, "validate", str(model))
    (model.parent / "maps" / "hosts.map").unlink()
    found = lbctl(cache, "validate", str(model))
    assert found.exit_code == 1
    assert "maps[hosts].file: maps/hosts.map not found" in found.stderr


def test_changing_the_model_misses(model, cache):
    lbctl(cache, "validate", str(model))
    data = yaml.safe_load(model.read_text())
    data["pools"][0]["servers"].pop()
    model.write_text(yaml.safe_dump(data))
    assert "4 servers" in lbctl(cache, "validate", str(model)).stdout


def test_changing_a_template_misses(model, cache, tmp_path):
    # In processes of their own: Jinja's environment is built once a process.
    own = tmp_path / "templates"
    shutil.copytree(templates_dir(), own)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "LBCTL_CACHE": "1"}
    env["LBCTL_TEMPLATES"] = str(own)

    def render(out: Path) -> str:
        argv = [sys.executable, "-m", "controlplane.cli", "render", str(model)]
        argv += ["--skip-binary-check", "--out", str(out)]
        subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True)
        return (out / "lb1" / "keepalived.conf").read_text()

    render(tmp_path / "a")
    keepalived = own / "keepalived.conf.j2"
    keepalived.write_text("# edited\n" + keepalived.read_text())
    assert render(tmp_path / "b").startswith("# edited\n")


def test_a_change_to_lbctl_code_misses(model, cache, monkeypatch, validations):
    lbctl(cache, "validate", str(model))
    monkeypatch.setattr(result_cache, "_code_digest", "another version of the code")
    assert lbctl(cache, "validate", str(model)).exit_code == 0
    assert validations == [str(model), str(model)]


def test_no_cache_and_lbctl_cache_0_neither_read_nor_write(model, cache, validations):
    lbctl(cache, "validate", str(model), "--no-cache")
    lbctl(cache, "validate", str(model), LBCTL_CACHE="0")
    assert entries(cache) == []
    lbctl(cache, "validate", str(model))
    lbctl(cache, "validate", str(model), "--no-cache")
    lbctl(cache, "validate", str(model), LBCTL_CACHE="0")
    assert len(validations) == 5


def test_a_failing_validation_is_never_stored_and_fails_the_same_each_time(cache, tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["pools"][0]["servers"][0]["port"] = 70000
    model = tmp_path / "bad.yaml"
    model.write_text(yaml.safe_dump(data))
    first = printed(lbctl(cache, "validate", str(model)))
    assert first[0] == 1 and "must be 1-65535" in first[2]
    assert printed(lbctl(cache, "validate", str(model))) == first
    assert entries(cache) == []


def test_a_model_with_certificates_is_not_stored(cache, tmp_path, monkeypatch):
    # Certificates are checked against the clock (expiry, days left): a stored "valid"
    # would outlive the certificate.
    data = yaml.safe_load(EXAMPLE.read_text())
    data["certificates"] = [{"name": "site"}]  # the store flow: no file to read here
    model = tmp_path / "lb.yaml"
    model.write_text(yaml.safe_dump(data))
    lbctl(cache, "validate", str(model))
    assert entries(cache) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: (entry / "entry.json").write_text("{not json"),
        lambda entry: (entry / "entry.json").write_text(json.dumps([1, 2])),
        lambda entry: (entry / "0.txt").write_text("global\n  tampered\n"),
        lambda entry: (entry / "0.txt").unlink(),
        lambda entry: _rewrite(entry, key="0" * 64),
        lambda entry: _rewrite(entry, format="somebody-else/9"),
        lambda entry: _rewrite(entry, hosts=[{"host": "lb1", "files": [["x", "../../etc", 1]]}]),
    ],
    ids=[
        "not-json",
        "not-an-entry",
        "tampered-file",
        "missing-file",
        "foreign-key",
        "foreign-format",
        "path-outside",
    ],
)
def test_a_corrupt_or_foreign_entry_is_ignored(model, cache, tmp_path, damage):
    args = ("render", str(model), "--skip-binary-check", "--out")
    cold = printed(lbctl(cache, *args, str(tmp_path / "a")))
    (entry,) = [e for e in entries(cache) if e.name.startswith("render-")]
    damage(entry)
    again = printed(lbctl(cache, *args, str(tmp_path / "b")))
    assert again[0] == 0 and _timeless(again[2]) == _timeless(cold[2])
    assert tree(tmp_path / "b") == tree(tmp_path / "a")


def _timeless(stderr: str) -> str:
    """stderr without the rendering time and where the files came from."""
    return re.sub(
        r"rendered (\d+) hosts in [0-9.]+s( \(from the cache\))?", r"rendered \1 hosts", stderr
    )


def _unnumbered(stderr: str) -> list[str]:
    return sorted(
        re.sub(r"checked \d+/", "checked n/", line) for line in _timeless(stderr).splitlines()
    )


def _rewrite(entry: Path, **fields: object) -> None:
    data = json.loads((entry / "entry.json").read_text())
    (entry / "entry.json").write_text(json.dumps(data | fields))


def test_the_cache_is_readable_by_its_owner_only_whatever_the_umask(model, cache, tmp_path):
    old = os.umask(0)
    try:
        lbctl(cache, "render", str(model), "--out", str(tmp_path / "a"), "--skip-binary-check")
    finally:
        os.umask(old)
    for path in [cache / "lbctl", *(cache / "lbctl").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_a_cache_folder_others_can_read_is_made_private(model, cache):
    (cache / "lbctl" / "v1").mkdir(parents=True, mode=0o755)
    os.chmod(cache / "lbctl", 0o755)
    lbctl(cache, "validate", str(model))
    assert stat.S_IMODE((cache / "lbctl").stat().st_mode) == 0o700
    assert stat.S_IMODE((cache / "lbctl" / "v1").stat().st_mode) == 0o700


def test_a_cache_folder_that_is_a_symbolic_link_is_not_used(model, cache, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    cache.mkdir()
    (cache / "lbctl").symlink_to(elsewhere)
    assert lbctl(cache, "validate", str(model)).exit_code == 0
    assert list(elsewhere.iterdir()) == []


def test_the_newest_entries_are_kept_within_the_bound(model, cache):
    store = result_cache.ResultCache(cache / "lbctl", max_entries=2)
    read = result_cache.read_model(model)
    for n in range(4):
        store.store("validate", {"n": n}, read, {}, result_cache.CachedResult({"n": n}))
    kept = [json.loads((e / "entry.json").read_text())["record"] for e in entries(cache)]
    assert sorted(r["n"] for r in kept) == [2, 3]


@needs_binaries
def test_a_render_hit_still_proves_the_files_with_the_binaries(model, cache, tmp_path):
    args = ("render", str(model), "--out")
    cold = printed(lbctl(cache, *args, str(tmp_path / "a")))
    hit = printed(lbctl(cache, *args, str(tmp_path / "b")))
    assert cold[0] == hit[0] == 0
    assert "checked 4/4" in hit[2] and "proven by haproxy -c and keepalived -t" in hit[1]
    # The checks run in parallel: which file is checked 1st, 2nd... differs from run to run.
    assert _unnumbered(hit[2]) == _unnumbered(cold[2])
    assert tree(tmp_path / "b") == tree(tmp_path / "a")


def test_a_hit_does_not_load_pydantic(model, cache):
    code = (
        "import sys\n"
        "from controlplane.cli import run\n"
        "sys.argv = ['lbctl', 'validate', sys.argv[1]]\n"
        "try:\n"
        "    run()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('pydantic' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "LBCTL_CACHE": "1"}
    for loaded in ("True", "False"):  # the cold run, then the hit
        done = subprocess.run(
            [sys.executable, "-c", code, str(model)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=True,
        )
        assert done.stdout.splitlines()[-1] == loaded, done.stdout


def test_no_second_process_parses_a_model_the_cache_holds(model, cache, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("LBCTL_CACHE", "1")
    args = ["validate", str(model)]
    assert not cli._probably_cached(args, str(model))
    lbctl(cache, *args)
    assert cli._probably_cached(args, str(model))
    assert not cli._probably_cached([*args, "--no-cache"], str(model))
