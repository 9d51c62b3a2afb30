"""`lbctl cert` and `lbctl file`: on the local store, against a real server, and on a model
file; refusals name the problem, and no command ever prints a key."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from controlplane import store
from controlplane.cli import main
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.usecases.revisions import import_yaml
from controlplane.web import create_app
from tests.support import EXAMPLE, SEED
from tests.tls_material import make_ca, make_leaf


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LBCTL_HOME", str(tmp_path / "instance"))
    monkeypatch.delenv("LBCTL_DATABASE_URL", raising=False)
    monkeypatch.setenv("LBCTL_ENVIRONMENT", "example")
    monkeypatch.delenv("LBCTL_SERVER", raising=False)
    monkeypatch.delenv("LBCTL_TOKEN", raising=False)
    monkeypatch.setenv(FILES_KEY_ENV, new_key())
    return tmp_path / "instance"


@pytest.fixture(scope="module")
def ca():
    return make_ca()


def lbctl(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env)


def pem_file(tmp_path: Path, text: str, name: str = "site.pem") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def no_key(output: str) -> None:
    assert "BEGIN" not in output and "PRIVATE" not in output


def test_cert_put_stores_the_certificate_and_list_shows_days_left(home, tmp_path, ca):
    leaf = make_leaf(ca, "www.example.com", days=90)
    stored = lbctl("cert", "put", "site", "--pem", pem_file(tmp_path, leaf.bundle()))
    assert stored.exit_code == 0, stored.output
    assert stored.output.startswith("stored: certificate site (CN=www.example.com, not after ")
    listed = lbctl("cert", "list")
    assert listed.exit_code == 0, listed.output
    assert "site     89d  " in listed.output and "[www.example.com]" in listed.output
    as_json = json.loads(lbctl("cert", "list", "--json").output)
    assert [(c["name"], c["days_left"]) for c in as_json] == [("site", 89)]
    for output in (stored.output, listed.output, json.dumps(as_json)):
        no_key(output)


def test_cert_put_of_a_mismatched_key_is_refused_and_says_why(home, tmp_path, ca):
    leaf, other = make_leaf(ca, "a.example"), make_leaf(ca, "b.example")
    text = leaf.cert_pem() + leaf.chain_pem() + other.key_pem()
    result = lbctl("cert", "put", "site", "--pem", pem_file(tmp_path, text))
    assert result.exit_code == 1
    assert "certificate site refused:" in result.output
    assert "does not match the certificate" in result.output
    assert "nothing was stored." in result.output
    assert lbctl("cert", "list", "--json").output.strip() == "[]"


def test_cert_put_without_the_files_key_says_how_to_make_one(home, tmp_path, ca, monkeypatch):
    monkeypatch.delenv(FILES_KEY_ENV)
    leaf = make_leaf(ca, "a.example")
    result = lbctl("cert", "put", "site", "--pem", pem_file(tmp_path, leaf.bundle()))
    assert result.exit_code == 1
    assert "LBCTL_FILES_KEY is not set" in result.output and "lbctl file keygen" in result.output


def test_file_put_list_and_rm_for_the_other_kinds(home, tmp_path, ca):
    bundle = lbctl(
        "file", "put", "--kind", "ca-bundle", "clients", pem_file(tmp_path, ca.cert_pem())
    )
    assert bundle.exit_code == 0, bundle.output
    page = tmp_path / "503.http"
    page.write_text("HTTP/1.1 503 Service Unavailable\r\n\r\nbusy\n")
    assert lbctl("file", "put", "--kind", "error-page", "busy", str(page)).exit_code == 0
    listed = lbctl("file", "list")
    assert [line.split()[:2] for line in listed.output.splitlines()] == [
        ["ca_bundle", "clients"],
        ["error_page", "busy"],
    ]
    removed = lbctl("file", "rm", "--kind", "error-page", "busy")
    assert removed.exit_code == 0 and removed.output == "removed error page busy\n"
    assert lbctl("file", "rm", "--kind", "map", "nope").exit_code == 1


def test_keygen_prints_a_usable_key_and_rotate_key_re_encrypts(home, tmp_path, ca, monkeypatch):
    key = lbctl("file", "keygen").stdout.strip()
    Fernet(key.encode())  # a valid key
    leaf = make_leaf(ca, "a.example")
    assert lbctl("cert", "put", "site", "--pem", pem_file(tmp_path, leaf.bundle())).exit_code == 0
    old = os.environ[FILES_KEY_ENV]
    monkeypatch.setenv(FILES_KEY_ENV, f"{key},{old}")
    rotated = lbctl("file", "rotate-key")
    assert rotated.output == "re-encrypted 1 stored file(s) under the first key\n"


def test_cert_list_of_a_model_file_reads_its_certificates(tmp_path, ca):
    soon, expired = make_leaf(ca, "soon.example", days=10), make_leaf(ca, "old.example", days=-3)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "soon.pem").write_text(soon.bundle())
    (tmp_path / "certs" / "old.pem").write_text(expired.bundle())
    model = tmp_path / "lb.yaml"
    model.write_text(
        EXAMPLE.read_text()
        + "certificates:\n"
        + "  - {name: soon, file: certs/soon.pem}\n"
        + "  - {name: old, file: certs/old.pem}\n"
    )
    listed = lbctl("cert", "list", str(model), "--json")
    assert listed.exit_code == 0, listed.output
    found = json.loads(listed.output)
    assert [(c["name"], c["days_left"]) for c in found] == [("old", -4), ("soon", 9)]
    no_key(listed.output)


@pytest.fixture
def server(home: Path) -> Iterator[dict[str, Any]]:
    app = create_app(secure_cookies=False, admin_password=None)
    factory = app.extensions["lbctl.sessions"]
    found: dict[str, Any] = {"sessions": factory}
    with factory.begin() as session:
        import_yaml(session, "example", EXAMPLE.read_text(), SEED, "Example", None)
        for role in ("viewer", "admin"):
            user = store.create_user(session, role, "a-long-test-password", role)
            found[role] = store.create_token(session, user, "ci", role)[1]
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    found["url"] = f"http://127.0.0.1:{http.server_port}"
    yield found
    http.shutdown()
    thread.join(5)


def test_with_a_server_the_commands_go_through_its_api(server, tmp_path, ca):
    leaf = make_leaf(ca, "www.example.com")
    admin = {"LBCTL_TOKEN": server["admin"]}
    url = ["--server", server["url"]]
    stored = lbctl(
        *url, "cert", "put", "site", "--pem", pem_file(tmp_path, leaf.bundle()), env=admin
    )
    assert stored.exit_code == 0, stored.output
    viewer = {"LBCTL_TOKEN": server["viewer"]}
    listed = lbctl(*url, "cert", "list", "--json", env=viewer)
    assert [c["name"] for c in json.loads(listed.output)] == ["site"]
    refused = lbctl(*url, "cert", "rm", "site", env=viewer)
    assert refused.exit_code == 1 and "role viewer cannot do this" in refused.output
    expired = make_leaf(ca, "x.example", days=-1)
    bad = lbctl(
        *url, "cert", "put", "x", "--pem", pem_file(tmp_path, expired.bundle(), "x.pem"), env=admin
    )
    assert bad.exit_code == 1 and "expired on" in bad.output
    assert lbctl(*url, "cert", "rm", "site", env=admin).exit_code == 0
    with server["sessions"]() as session:
        assert store.list_files(session) == []
