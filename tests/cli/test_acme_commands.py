"""`lbctl acme status` and `lbctl acme renew` on the local store: what they say, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from controlplane import store
from controlplane.cli import main
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.usecases.revisions import import_yaml
from tests.lab.deploying import LAB_MODEL
from tests.support import SEED


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LBCTL_HOME", str(tmp_path / "instance"))
    monkeypatch.delenv("LBCTL_DATABASE_URL", raising=False)
    monkeypatch.setenv("LBCTL_ENVIRONMENT", "lab")
    monkeypatch.setenv(FILES_KEY_ENV, new_key())
    return tmp_path / "instance"


def stored_acme_environment(home: Path) -> None:
    data = yaml.safe_load(LAB_MODEL.read_text())
    data["certificates"] = [
        {"name": "www", "acme": {"domains": ["www.example.com"], "contact": "mailto:a@example.com"}}
    ]
    engine = store.make_engine(store.database_url(home))
    store.upgrade(engine)
    with store.session_factory(engine).begin() as session:
        import_yaml(session, "lab", yaml.safe_dump(data), SEED, "acme", None)
    engine.dispose()


def test_status_lists_a_certificate_never_issued_as_due(home: Path) -> None:
    stored_acme_environment(home)
    result = CliRunner().invoke(main, ["acme", "status"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("www: www.example.com; valid until -, renews now")
    rows = json.loads(CliRunner().invoke(main, ["acme", "status", "--json"]).output)
    assert [(r["name"], r["issued"], r["due"], r["failures"]) for r in rows] == [
        ("www", False, True, 0)
    ]
    assert rows[0]["directory"] == "https://acme-v02.api.letsencrypt.org/directory"


def test_renewing_a_name_that_is_no_acme_certificate_fails_naming_it(home: Path) -> None:
    stored_acme_environment(home)
    result = CliRunner().invoke(main, ["acme", "renew", "shop"])
    assert result.exit_code == 1
    assert "no ACME certificate in environment lab 'shop'" in result.output


def test_an_environment_without_revisions_is_a_clear_error(home: Path) -> None:
    result = CliRunner().invoke(main, ["acme", "renew"])
    assert result.exit_code == 1 and "no revision in environment 'lab'" in result.output


def test_a_malformed_interval_setting_is_refused_by_name(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LBCTL_ACME_INTERVAL", "soon")
    result = CliRunner().invoke(main, ["acme", "status"])
    assert result.exit_code == 1 and "LBCTL_ACME_INTERVAL must be" in result.output
