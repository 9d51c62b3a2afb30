"""Certificate drift against a real HAProxy: what `show ssl cert` reports it serves is
compared with the model's certificate; a certificate swapped through the runtime API is
drift, named with both fingerprints."""

from __future__ import annotations

import copy
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from controlplane.model import parse_document, validate_data
from controlplane.model.config_files import FileContents
from controlplane.observe.certificate_drift import (
    certificate_drift,
    expected_certificates,
    served_fingerprint,
)
from controlplane.render import render_model
from tests.support import EXAMPLE
from tests.tls_material import make_ca, make_leaf

pytestmark = pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")


def sha1(issued) -> str:
    return issued.cert.fingerprint(hashes.SHA1()).hex().upper()


def admin(sock: Path, command: str) -> str:
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(5)
        client.connect(str(sock))
        client.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


@pytest.fixture(scope="module")
def ca():
    return make_ca()


@pytest.fixture
def rendered(tmp_path: Path, ca):
    """The example model serving stored certificate `site` from files_dir under tmp_path."""
    leaf = make_leaf(ca, "www.example.com")
    document = copy.deepcopy(parse_document(EXAMPLE.read_bytes(), "example"))
    document.setdefault("settings", {})["files_dir"] = str(tmp_path / "files")
    document["certificates"] = [{"name": "site"}]
    for frontend in document["frontends"]:
        if frontend["name"] == "web-tls":
            frontend["tls"] = {"certificates": ["site"]}
    model = validate_data(document, "test").model
    return leaf, render_model(model, FileContents({("certificate", "site"): leaf.bundle()}))


@pytest.fixture
def haproxy(tmp_path: Path, rendered) -> Iterator[Path]:
    """A real HAProxy serving the rendered certificate at its files_dir path; its socket."""
    _, result = rendered
    host = result.hosts[0]
    for key, attached in host.attached.items():
        target = Path(result.files_dir) / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(attached.text)
    sock = tmp_path / "admin.sock"
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        f"global\n  stats socket {sock} mode 600 level admin\n"
        "defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n"
        "  timeout connect 5s\n"
        f"frontend tls\n  bind unix@{tmp_path / 'tls.sock'} ssl crt "
        f"{Path(result.files_dir) / 'certs/site.pem'}\n"
    )
    process = subprocess.Popen(["haproxy", "-db", "-f", str(config)], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sock.exists(), "haproxy did not open its admin socket"
        yield sock
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


def test_the_expected_fingerprint_is_the_model_certificates(rendered):
    leaf, result = rendered
    expected = expected_certificates(result)
    host = result.hosts[0].host
    (certificate,) = expected[host]
    assert certificate.path == f"{result.files_dir}/certs/site.pem"
    assert (certificate.name, certificate.sha1) == ("site", sha1(leaf))


def test_what_haproxy_serves_matches_the_model_until_someone_swaps_it(rendered, haproxy, ca):
    leaf, result = rendered
    host = result.hosts[0].host
    expected = {host: expected_certificates(result)[host]}

    def ask(_host: str, paths: list[str]) -> dict[str, str]:
        return {path: admin(haproxy, f"show ssl cert {path}") for path in paths}

    assert served_fingerprint(ask(host, [expected[host][0].path])[expected[host][0].path]) == sha1(
        leaf
    )
    assert certificate_drift(expected, ask) == []

    other = make_leaf(ca, "www.example.com")
    path = expected[host][0].path
    payload = other.bundle().rstrip("\n")
    answer = admin(haproxy, f"set ssl cert {path} <<\n{payload}\n")
    assert "Transaction created" in answer or "Transaction updated" in answer, answer
    assert "Success" in admin(haproxy, f"commit ssl cert {path}")

    (drift,) = certificate_drift(expected, ask)
    assert (drift.host, drift.kind) == (host, "certificate served")
    assert drift.expected == f"sha1 {sha1(leaf)}" and drift.actual == f"sha1 {sha1(other)}"
    assert "BEGIN" not in drift.summary()


def test_a_host_that_cannot_be_asked_is_reported_not_raised(rendered):
    _, result = rendered
    host = result.hosts[0].host

    def ask(_host: str, _paths: list[str]) -> dict[str, str]:
        raise ConnectionError("no route")

    (drift,) = certificate_drift({host: expected_certificates(result)[host]}, ask)
    assert drift.actual == "ConnectionError: no route"
