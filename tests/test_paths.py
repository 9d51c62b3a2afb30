"""Shipped files are found through controlplane.paths, from a checkout as from a wheel."""

from __future__ import annotations

import pytest

from controlplane import paths
from tests.support import ROOT


def test_a_checkout_reads_the_top_level_folders_through_the_package():
    assert paths.templates_dir() == ROOT / "templates"
    assert paths.playbooks_dir() == ROOT / "playbooks"
    assert paths.example_environment_dir() == ROOT / "inventory" / "example"
    assert paths.lab_model_file() == ROOT / "inventory" / "lab" / "lb.yaml"


def test_ansible_finds_its_modules_and_roles_beside_the_playbooks():
    playbooks = paths.playbooks_dir()
    assert (playbooks / "deploy.yml").is_file()
    assert (playbooks / "library" / "lbctl_haproxy_apply.py").is_file()
    assert (playbooks / "module_utils" / "lbctl_host.py").is_file()
    assert paths.role_defaults_file().is_relative_to(playbooks / "roles")


def test_lbctl_templates_names_another_folder_of_templates(tmp_path, monkeypatch):
    monkeypatch.setenv("LBCTL_TEMPLATES", str(tmp_path))
    assert paths.templates_dir() == tmp_path


def test_lbctl_templates_naming_no_folder_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("LBCTL_TEMPLATES", str(tmp_path / "nowhere"))
    with pytest.raises(paths.ShippedFileMissing, match="unset it to use the templates"):
        paths.templates_dir()


def test_the_lab_imports_the_same_lbctl_from_its_import_root():
    assert (paths.import_root() / "controlplane" / "paths.py").is_file()
