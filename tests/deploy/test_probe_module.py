"""lbctl_probe: one module call tells what a host runs (files, addresses, attached digests)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from tests.deploy.host_modules import host_module

probe = host_module("lbctl_probe")


def test_attached_files_are_told_by_digest_under_the_files_dir_link(tmp_path: Path) -> None:
    version = tmp_path / "versions" / "v1"
    (version / "certs").mkdir(parents=True)
    (version / "certs" / "site.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nsecret\n")
    (version / "certs" / ".lbctl-tmp").write_bytes(b"half written")
    files_dir = tmp_path / "files"
    files_dir.symlink_to(version)

    found = probe.attached(str(files_dir))

    digest = hashlib.sha256(b"-----BEGIN PRIVATE KEY-----\nsecret\n").hexdigest()
    assert found == {f"{files_dir}/certs/site.pem": digest}
    assert "secret" not in repr(found)


def test_the_addresses_are_those_ip_lists_with_their_prefix() -> None:
    held = probe.addresses()
    assert "127.0.0.1/8" in held


def test_a_missing_file_reads_as_none_and_an_existing_one_as_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "haproxy.cfg").write_text("global\n")
    assert probe._read(str(tmp_path / "haproxy.cfg")) == b"global\n"
    assert probe._read(str(tmp_path / "keepalived.conf")) is None


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
