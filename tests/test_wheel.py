"""The wheel carries every file lbctl ships: installed outside the checkout, lbctl works.

A wheel built without its package data once failed `lbctl init` and printed `error: : None`
for `lbctl render`; the checkout's own tests could not see it, because an editable install
reads templates, playbooks and examples from the checkout. These tests build the wheel from
a copy of the checkout, install it into a fresh virtual environment in a temporary folder
and run the installed `lbctl` from an empty working directory.
"""

from __future__ import annotations

import fcntl
import fnmatch
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from controlplane.lab import Lab
from tests.support import needs_binaries

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# The checkout the wheel is built from (a test may know where it lives).
CHECKOUT = Path(__file__).resolve().parent.parent
# Caches and environments anywhere, and what builds and runs leave at the top: never part of
# what a wheel is built from.
CACHES = {
    ".git",
    ".venv",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
}
TOP_LEVEL_OUTPUTS = {"build", "dist", "instance", "out", "artifacts"}
SERVE_START_S = 60.0
STATUS_HEALTHY_S = 30.0
# Files the wheel must hold, as patterns of its member names.
SHIPPED = (
    "controlplane/data/templates/haproxy.cfg.j2",
    "controlplane/data/templates/keepalived.conf.j2",
    "controlplane/data/playbooks/deploy.yml",
    "controlplane/data/playbooks/status.yml",
    "controlplane/data/playbooks/library/*.py",
    "controlplane/data/playbooks/module_utils/*.py",
    "controlplane/data/playbooks/roles/lbctl_defaults/defaults/main.yml",
    "controlplane/data/playbooks/files/vrrp-notify",
    "controlplane/data/inventory/example/lb.yaml",
    "controlplane/data/inventory/example/hosts.yml",
    "controlplane/data/inventory/lab/lb.yaml",
    "controlplane/web/templates/login.html",
    "controlplane/web/static/*.css",
    "controlplane/store/migrations/versions/*.py",
)


@dataclass(frozen=True)
class Installed:
    """lbctl installed from its wheel into a virtual environment of its own."""

    wheel: Path
    venv: Path
    home: Path  # LBCTL_HOME: the store `store init` and `serve` share

    @property
    def lbctl_path(self) -> Path:
        return self.venv / "bin" / "lbctl"

    def env(self) -> dict[str, str]:
        """Return an environment that names nothing of the checkout."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("LBCTL_", "PYTHON", "VIRTUAL_ENV"))
        }
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["LBCTL_HOME"] = str(self.home)
        # No background status poller: it would try to reach the example's hosts.
        env["LBCTL_STATUS_INTERVAL"] = "0"
        return env

    def python(self, code: str) -> str:
        """Return what the environment's Python prints running `code` (outside the checkout)."""
        return subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            cwd=self.venv,
            env=self.env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def lbctl(
        self, *args: str, cwd: Path, expect: int | None = 0, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the installed lbctl in `cwd`; fail the test unless it exits with `expect`.

        `expect=None` accepts any exit code.
        """
        done = subprocess.run(
            [str(self.lbctl_path), *args],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert expect is None or done.returncode == expect, (
            f"lbctl {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
        return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel built from a copy of the checkout and installed with its dependencies.

    Built once per run: the lab test runs on the lab's worker and the others beside it, and
    each worker building its own took 25-50 s of the suite apiece. The first worker to get
    here builds under a file lock in the folder the workers share; the others wait and
    reuse it. Each worker keeps a store home of its own.
    """
    basetemp = tmp_path_factory.getbasetemp()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    shared = basetemp.parent if worker else basetemp  # pytest-N/, the run's own folder
    base = shared / "installed-wheel"
    with open(shared / "installed-wheel.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (base / "installed").exists():
            shutil.rmtree(base, ignore_errors=True)
            _build_and_install(base)
            (base / "installed").touch()
    [wheel] = (base / "dist").glob("lbctl-*.whl")
    home = tmp_path_factory.mktemp("wheel-home")
    return Installed(wheel=wheel, venv=base / "venv", home=home)


def _build_and_install(base: Path) -> None:
    source = base / "source"
    # A copy, so setuptools' build/ folder never lands in (or is reused from) the checkout;
    # symlinks=True keeps controlplane/data/'s relative links pointing into the copy.
    shutil.copytree(CHECKOUT, source, symlinks=True, ignore=_not_sources)
    pip = ("-m", "pip", "--disable-pip-version-check", "--quiet")
    subprocess.run(
        [sys.executable, *pip, "wheel", "--no-deps", "-w", str(base / "dist"), str(source)],
        check=True,
        timeout=300,
    )
    [wheel] = (base / "dist").glob("lbctl-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), *pip, "install", str(wheel)], check=True, timeout=600
    )


def _not_sources(folder: str, names: list[str]) -> set[str]:
    top_level = Path(folder) == CHECKOUT
    return {
        name
        for name in names
        if name in CACHES or name.endswith(".egg-info") or (top_level and name in TOP_LEVEL_OUTPUTS)
    }


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory outside the checkout."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_the_wheel_holds_templates_playbooks_examples_and_the_web_app(installed: Installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    missing = [pattern for pattern in SHIPPED if not fnmatch.filter(names, pattern)]
    assert missing == []
    library = fnmatch.filter(names, "controlplane/data/playbooks/library/*.py")
    assert "controlplane/data/playbooks/library/lbctl_haproxy_apply.py" in library


def test_the_installed_lbctl_imports_its_own_copy_not_the_checkout(installed: Installed):
    found = installed.python("import controlplane; print(controlplane.__file__)")
    assert Path(found).is_relative_to(installed.venv)


@needs_binaries
def test_the_installed_lbctl_inits_validates_renders_diffs_and_prints_the_schema(
    installed: Installed, workdir: Path
):
    written = installed.lbctl("init", "env1", cwd=workdir).stdout
    assert "wrote env1/lb.yaml" in written
    assert sorted(p.name for p in (workdir / "env1").iterdir()) == ["hosts.yml", "lb.yaml"]

    assert "valid (2 lb hosts" in installed.lbctl("validate", "env1/lb.yaml", cwd=workdir).stdout

    rendered = installed.lbctl("render", "env1/lb.yaml", "--out", "out", cwd=workdir).stdout
    assert "proven by haproxy -c and keepalived -t" in rendered
    assert (workdir / "out" / "lb1" / "haproxy.cfg").is_file()

    unchanged = installed.lbctl("diff", "env1/lb.yaml", "--against", "out", cwd=workdir)
    assert "no changes" in unchanged.stderr

    schema = json.loads(installed.lbctl("schema", cwd=workdir).stdout)
    assert "vip_pairs" in schema["properties"]


def test_the_installed_lbctl_inits_a_store_and_serves_the_admin_app(
    installed: Installed, workdir: Path
):
    installed.lbctl("init", "env1", cwd=workdir)
    ready = installed.lbctl("store", "init", "--import", "env1/lb.yaml", cwd=workdir).stdout
    assert "created user admin" in ready
    assert "store ready" in ready

    with serving(installed, workdir) as url:
        assert _get(f"{url}/login") == 200
        assert _get(f"{url}/api/v1/openapi.json") == 200


@pytest.mark.lab
def test_the_installed_lbctl_deploys_the_lab_model_and_reports_status(
    installed: Installed, workdir: Path, lab: Lab
):
    model = _installed_lab_model(installed)
    inventory = str(lab.inventory_path)
    deployed = installed.lbctl("deploy", str(model), "-i", inventory, cwd=workdir, timeout=300)
    assert re.search(r"^lb1\s+(changed|unchanged)", deployed.stdout, re.M), deployed.stdout
    report = _healthy_status(installed, inventory, workdir)
    vrrp = {host["host"]: host["vrrp"][0]["state"] for host in report["hosts"]}
    assert sorted(vrrp.values()) == ["BACKUP", "MASTER"]


def _healthy_status(installed: Installed, inventory: str, cwd: Path) -> dict:
    """Return `lbctl status --json`'s report once it exits 0: every host answers, one MASTER.

    Right after a first deploy the pair may still be electing its MASTER (exit 1, critical).
    """
    deadline = time.monotonic() + STATUS_HEALTHY_S
    while True:
        done = installed.lbctl("status", "-i", inventory, "--json", cwd=cwd, expect=None)
        assert done.returncode in (0, 1), done.stderr
        if done.returncode == 0:
            return json.loads(done.stdout)
        assert time.monotonic() < deadline, f"never healthy:\n{done.stdout}"
        time.sleep(1)


def _installed_lab_model(installed: Installed) -> Path:
    """Return the lab model file inside the installed package, as the wheel ships it."""
    model = Path(installed.python("from controlplane import paths; print(paths.lab_model_file())"))
    assert model.is_relative_to(installed.venv)
    return model


@contextmanager
def serving(installed: Installed, cwd: Path) -> Iterator[str]:
    """Yield the URL of `lbctl serve` on 127.0.0.1 and a port the OS picks; stop it by pid."""
    with (cwd / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [str(installed.lbctl_path), "serve", "--host", "127.0.0.1", "--port", "0"],
            cwd=cwd,
            env=installed.env(),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            # `serve` prints "lbctl admin app on http://127.0.0.1:PORT/ ..." once it listens.
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], SERVE_START_S)
            line = process.stdout.readline() if ready else ""
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            assert found, f"lbctl serve did not start: {line!r}\n{(cwd / 'serve.log').read_text()}"
            yield found.group(0)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _get(url: str) -> int:
    """Return the HTTP status of GET `url`."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
