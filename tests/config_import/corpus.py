"""The import corpus (tests/import_corpus/): its cases, copied with certificates generated."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from controlplane.config_import.report import Report
from controlplane.usecases.config_import import import_dir
from tests.tls_material import make_ca, make_leaf

CORPUS = Path(__file__).resolve().parents[1] / "import_corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())

# The one list of corpus cases known NOT to import equivalently, each with its reason: the
# equivalence test expects them to fail (strictly: one that starts passing must leave this
# list) and the benchmark counts them as not equivalent.
NOT_EQUIVALENT: dict[str, str] = {}


def prepared(case: str, into: Path) -> Path:
    """Copy a corpus case into `into`, with its listed certificates generated per host."""
    folder = into / case
    shutil.copytree(CORPUS / case, folder)
    listed = folder / "certificates"
    if listed.is_file():
        ca = make_ca()
        bundle = make_leaf(ca, "www.example.com").bundle()
        for path in listed.read_text().split():
            for host in (p for p in folder.iterdir() if p.is_dir()):
                target = host / "files" / path.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(bundle)
    return folder


def imported_model(folder: Path, out: Path, prove: bool = True) -> tuple[dict, Report]:
    """Import `folder`, write the model (and its files) to out/lb.yaml; return it, the report."""
    result = import_dir(folder, prove=prove)
    result.write(out / "lb.yaml")
    return yaml.safe_load((out / "lb.yaml").read_text()), result.report


def announced_ports(case: str) -> set[int]:
    """Ports where the case's import announces a difference ('differs' in the report)."""
    listed = CORPUS / case / "announced_differences"
    return {int(p) for p in listed.read_text().split()} if listed.is_file() else set()
