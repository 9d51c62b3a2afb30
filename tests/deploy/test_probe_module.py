"""lbctl_probe: one module call tells what a host runs (files, addresses, attached digests)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from tests.deploy.host_modules import host_module, module_util

probe = host_module("lbctl_probe")
probing = module_util("lbctl_probing")
deploy_host = host_module("lbctl_deploy_host")


def test_attached_files_are_told_by_digest_under_the_files_dir_link(tmp_path: Path) -> None:
    version = tmp_path / "versions" / "v1"
    (version / "certs").mkdir(parents=True)
    (version / "certs" / "site.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nsecret\n")
    (version / "certs" / ".lbctl-tmp").write_bytes(b"half written")
    files_dir = tmp_path / "files"
    files_dir.symlink_to(version)

    found = probing.attached(str(files_dir))

    digest = hashlib.sha256(b"-----BEGIN PRIVATE KEY-----\nsecret\n").hexdigest()
    assert found == {f"{files_dir}/certs/site.pem": digest}
    assert "secret" not in repr(found)


def test_the_addresses_are_those_ip_lists_with_their_prefix() -> None:
    held = probing.addresses()
    assert "127.0.0.1/8" in held


def test_a_missing_file_reads_as_none_and_an_existing_one_as_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "haproxy.cfg").write_text("global\n")
    assert probing.read_bytes(str(tmp_path / "haproxy.cfg")) == b"global\n"
    assert probing.read_bytes(str(tmp_path / "keepalived.conf")) is None


def test_the_documented_options_are_the_options_taken() -> None:
    documented = yaml.safe_load(probe.DOCUMENTATION)["options"]
    assert documented == probe.ARGUMENT_SPEC


def test_one_call_tells_the_files_the_addresses_and_the_attached_digests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "haproxy.cfg").write_text("global\n")
    (tmp_path / "files" / "maps").mkdir(parents=True)
    (tmp_path / "files" / "maps" / "hosts.map").write_text("a.example.com app\n")
    args = {
        "haproxy_config_path": str(tmp_path / "haproxy.cfg"),
        "keepalived_config_path": str(tmp_path / "keepalived.conf"),
        "files_dir": str(tmp_path / "files"),
    }
    capsys.readouterr()
    with patch_module_args(args), pytest.raises(SystemExit):
        probe.main()
    facts = json.loads(capsys.readouterr().out)["ansible_facts"]["lbctl_probe"]

    assert base64.b64decode(facts["haproxy_cfg"]) == b"global\n"
    assert (facts["haproxy_found"], facts["keepalived_found"]) == ("True", "False")
    assert "127.0.0.1/8" in facts["addresses"]
    assert list(facts["attached"]) == [str(tmp_path / "files" / "maps" / "hosts.map")]


def config_paths(folder: Path) -> dict[str, str]:
    """The module arguments naming haproxy.cfg and keepalived.conf in `folder`."""
    return {
        "haproxy_config_path": str(folder / "haproxy.cfg"),
        "keepalived_config_path": str(folder / "keepalived.conf"),
    }


def test_the_deploy_module_probes_as_lbctl_probe_does_and_needs_no_deploy_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keepalived.conf").write_text("vrrp_instance edge {\n}\n")
    paths = config_paths(tmp_path)
    capsys.readouterr()
    with patch_module_args(paths), pytest.raises(SystemExit):
        probe.main()
    alone = json.loads(capsys.readouterr().out)["ansible_facts"]["lbctl_probe"]
    with patch_module_args(paths | {"probe": True}), pytest.raises(SystemExit):
        deploy_host.main()
    answer = json.loads(capsys.readouterr().out)

    assert answer["ansible_facts"]["lbctl_probe"] == alone
    assert answer["changed"] is False
    assert not list(tmp_path.iterdir())[1:]  # nothing written beside keepalived.conf


def test_the_deploy_module_without_probe_still_requires_the_deploy_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = config_paths(tmp_path)
    capsys.readouterr()
    with patch_module_args(paths), pytest.raises(SystemExit):
        deploy_host.main()
    answer = json.loads(capsys.readouterr().out)

    assert answer["failed"] is True
    assert "haproxy_cfg" in answer["msg"]
    assert not list(tmp_path.iterdir())
