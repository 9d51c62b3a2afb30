"""Uploaded files: certificates encrypted at rest, refusals that name the problem, versions,
pins that keep a revision's bytes, key rotation, and an audit trail with metadata only."""

from __future__ import annotations

import logging

import pytest
from cryptography.hazmat.primitives import hashes
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from controlplane import store
from controlplane.store import files
from controlplane.store.file_encryption import FILES_KEY_ENV, FilesKeys, key_id, new_key
from controlplane.store.tables import AuditEntry, StoredFile
from tests.tls_material import make_ca, make_crl, make_leaf

ALICE = store.Actor("alice", "admin", "192.0.2.7", "api")
MAP = "example.com app\nshop.example.com shop\n"
ERROR_PAGE = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\n\r\n<h1>busy</h1>\n"


@pytest.fixture
def files_key(monkeypatch):
    key = new_key()
    monkeypatch.setenv(FILES_KEY_ENV, key)
    return key


@pytest.fixture(scope="module")
def ca():
    return make_ca()


@pytest.fixture(scope="module")
def site(ca):
    return make_leaf(ca, "www.example.com", "example.com")


def fingerprint(issued):
    return issued.cert.fingerprint(hashes.SHA256()).hex().upper()


def raw_rows(session):
    return session.execute(text("SELECT * FROM stored_files")).mappings().all()


def test_a_certificate_is_stored_encrypted_and_read_back_whole(session, files_key, site):
    result = files.put_certificate(session, ALICE, "site", site.bundle())
    session.commit()

    (row,) = raw_rows(session)
    assert row["encrypted"] and row["key_id"] == key_id(files_key.encode())
    assert "BEGIN" not in row["content"] and "PRIVATE" not in row["content"]
    assert site.key_pem().splitlines()[1] not in row["content"]
    assert files.file_text(result.file) == site.bundle()
    assert result.file.sans == ["www.example.com", "example.com"]
    assert result.file.not_after is not None and result.file.key_type.startswith("EC")


def test_without_the_key_a_certificate_is_refused_and_nothing_is_written(
    session, monkeypatch, site
):
    monkeypatch.delenv(FILES_KEY_ENV, raising=False)
    with pytest.raises(store.FilesKeyMissing, match="LBCTL_FILES_KEY is not set"):
        files.put_certificate(session, ALICE, "site", site.bundle())
    session.rollback()
    assert raw_rows(session) == []
    assert session.scalars(select(AuditEntry)).all() == []


def test_a_malformed_key_is_named_not_used(monkeypatch):
    monkeypatch.setenv(FILES_KEY_ENV, f"{new_key()},not-a-key")
    with pytest.raises(store.FilesKeyMissing, match="malformed key \\(number 2\\)"):
        FilesKeys.from_environ()


def test_reading_with_another_key_says_which_key_is_needed(session, monkeypatch, files_key, site):
    row = files.put_certificate(session, ALICE, "site", site.bundle()).file
    monkeypatch.setenv(FILES_KEY_ENV, new_key())
    with pytest.raises(store.FilesKeyWrong, match=key_id(files_key.encode())):
        files.file_text(row)


def test_the_key_rotates_and_the_old_one_can_then_go(session, monkeypatch, files_key, site):
    row = files.put_certificate(session, ALICE, "site", site.bundle()).file
    newer = new_key()
    monkeypatch.setenv(FILES_KEY_ENV, f"{newer},{files_key}")
    assert files.rotate_files_key(session, ALICE) == 1
    monkeypatch.setenv(FILES_KEY_ENV, newer)
    assert files.file_text(row) == site.bundle()
    assert row.key_id == key_id(newer.encode())


@pytest.mark.parametrize(
    ("make_text", "problem"),
    [
        (
            lambda ca, leaf: leaf.cert_pem() + leaf.chain_pem() + make_leaf(ca, "x").key_pem(),
            "does not match",
        ),
        (lambda ca, leaf: make_leaf(ca, "old.example.com", days=-2).bundle(), "expired on"),
        (lambda ca, leaf: leaf.cert_pem() + leaf.key_pem(b"secret"), "encrypted"),
        (lambda ca, leaf: "hello, not a certificate\n", "no certificate"),
        (lambda ca, leaf: leaf.chain_pem() + leaf.cert_pem() + leaf.key_pem(), "certificate 2"),
    ],
    ids=["mismatched-key", "expired", "encrypted-key", "not-pem", "chain-order"],
)
def test_a_bad_certificate_is_refused_naming_the_problem(
    session, files_key, ca, site, make_text, problem
):
    with pytest.raises(store.FileRefused, match=problem) as refused:
        files.put_certificate(session, ALICE, "site", make_text(ca, site))
    assert str(refused.value).startswith("certificate 'site' refused: ")
    assert raw_rows(session) == []


def test_other_kinds_are_checked_for_what_they_are(session, files_key, ca, site):
    with pytest.raises(store.FileRefused, match="holds a private key"):
        files.put_file(session, ALICE, "ca_bundle", "clients", site.bundle())
    with pytest.raises(store.FileRefused, match="X509 CRL"):
        files.put_file(session, ALICE, "crl", "clients", ca.cert_pem())
    with pytest.raises(store.FileRefused, match="status line"):
        files.put_file(session, ALICE, "error_page", "busy", "<h1>busy</h1>")
    with pytest.raises(store.FileRefused, match="not UTF-8"):
        files.put_file(session, ALICE, "map", "hosts", b"\xff\xfe")
    with pytest.raises(store.InvalidName):
        files.put_file(session, ALICE, "map", "../hosts", MAP)
    assert raw_rows(session) == []


def test_public_kinds_are_stored_as_text_with_their_metadata(session, ca):
    # No LBCTL_FILES_KEY needed: nothing secret in them.
    bundle = files.put_file(session, ALICE, "ca_bundle", "clients", ca.cert_pem()).file
    crl = files.put_file(session, ALICE, "crl", "clients", make_crl(ca)).file
    page = files.put_file(session, ALICE, "error_page", "busy", ERROR_PAGE).file
    hosts = files.put_file(session, ALICE, "map", "hosts", MAP.encode()).file
    assert (bundle.encrypted, bundle.content) == (False, ca.cert_pem())
    assert bundle.not_after is not None and crl.not_after is not None
    assert (page.content, hosts.content) == (ERROR_PAGE, MAP)
    listed = [(f.kind, f.name) for f in files.list_files(session)]
    assert listed == [
        ("ca_bundle", "clients"),
        ("crl", "clients"),
        ("error_page", "busy"),
        ("map", "hosts"),
    ]


def test_uploads_and_removals_are_audited_with_metadata_only(session, files_key, ca, site):
    files.put_certificate(session, ALICE, "site", site.bundle())
    renewed = make_leaf(ca, "www.example.com")
    files.put_certificate(session, ALICE, "site", renewed.bundle())
    files.remove_file(session, ALICE, "certificate", "site")
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["file.upload", "file.replace", "file.remove"]
    upload, replace, _ = entries
    assert upload.actor == "alice" and upload.remote_addr == "192.0.2.7"
    assert upload.detail["fingerprint_sha256"] == fingerprint(site)
    assert replace.detail["replaced"]["serial"] != replace.detail["serial"]
    for entry in entries:
        assert "BEGIN" not in str(entry.detail) and "PRIVATE" not in str(entry.detail)


def test_the_log_says_what_was_stored_without_its_text(session, files_key, site, caplog):
    with caplog.at_level(logging.INFO, logger="controlplane.store.files"):
        files.put_certificate(session, ALICE, "site", site.bundle())
    assert "file.upload certificate site by alice" in caplog.text
    assert "BEGIN" not in caplog.text


def test_the_same_content_again_changes_nothing(session, files_key, site):
    first = files.put_certificate(session, ALICE, "site", site.bundle())
    again = files.put_certificate(session, ALICE, "site", site.bundle())
    assert again.file is first.file and not again.changed
    assert len(raw_rows(session)) == 1


def test_a_replaced_version_is_deleted_unless_a_revision_pins_it(
    session, files_key, ca, site, example_model
):
    files.put_certificate(session, ALICE, "site", site.bundle())
    revision = store.save_revision(session, "prod", example_model, "alice", "first", None)
    old_digest = files.current_file(session, "certificate", "site").content_sha256
    files.pin_revision(session, revision, {("certificate", "site"): old_digest})

    files.put_certificate(session, ALICE, "site", make_leaf(ca, "www.example.com").bundle())
    files.put_certificate(session, ALICE, "site", make_leaf(ca, "www.example.com").bundle())
    stored = session.scalars(select(StoredFile).order_by(StoredFile.id)).all()
    assert [(row.content_sha256 == old_digest, row.current) for row in stored] == [
        (True, False),
        (False, True),
    ]
    assert files.pinned_texts(session, revision) == {("certificate", "site"): site.bundle()}


def test_removing_keeps_only_pinned_versions_and_nothing_is_current(
    session, files_key, site, example_model
):
    files.put_certificate(session, ALICE, "site", site.bundle())
    revision = store.save_revision(session, "prod", example_model, "alice", "first", None)
    files.pin_revision(
        session,
        revision,
        {("certificate", "site"): files.get_file(session, "certificate", "site").content_sha256},
    )
    files.remove_file(session, ALICE, "certificate", "site")
    assert files.list_files(session) == []
    with pytest.raises(store.NotFound):
        files.get_file(session, "certificate", "site")
    assert files.pinned_texts(session, revision) == {("certificate", "site"): site.bundle()}


def test_the_store_holds_at_most_one_current_version_per_name(session):
    files.put_file(session, ALICE, "map", "hosts", MAP)
    session.commit()
    racing = StoredFile(
        kind="map",
        name="hosts",
        content_sha256="0" * 64,
        content="other\n",
        size=6,
        current=True,
        uploaded_by="bob",
    )
    session.add(racing)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert [f.content for f in files.list_files(session)] == [MAP]
