"""ACME's records: the account key made once and kept only encrypted, renewal records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from controlplane.acme import RenewalState
from controlplane.store import acme
from controlplane.store.file_encryption import FILES_KEY_ENV, FilesKeyMissing, FilesKeys, new_key

DIRECTORY = "https://acme.example.test/directory"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def files_key(monkeypatch):
    key = new_key()
    monkeypatch.setenv(FILES_KEY_ENV, key)
    return key


def test_the_account_key_is_made_once_and_stored_only_encrypted(session, files_key):
    pem = acme.account_key(session, DIRECTORY)
    session.commit()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert acme.account_key(session, DIRECTORY) == pem
    assert acme.account_key(session, DIRECTORY + "/other") != pem  # one account per server
    stored = session.execute(text("SELECT key FROM acme_accounts")).scalars().all()
    assert all("PRIVATE" not in row and pem not in row for row in stored)


def test_without_the_files_key_no_account_key_is_made(session, monkeypatch):
    monkeypatch.delenv(FILES_KEY_ENV, raising=False)
    with pytest.raises(FilesKeyMissing, match=FILES_KEY_ENV):
        acme.account_key(session, DIRECTORY)
    assert session.execute(text("SELECT count(*) FROM acme_accounts")).scalar() == 0


def test_rotating_the_files_key_keeps_the_account(session, files_key, monkeypatch):
    pem = acme.account_key(session, DIRECTORY)
    newer = new_key()
    monkeypatch.setenv(FILES_KEY_ENV, f"{newer},{files_key}")
    assert acme.rotate_account_keys(session, FilesKeys.from_environ()) == 1
    monkeypatch.setenv(FILES_KEY_ENV, newer)  # the old key is gone now
    assert acme.account_key(session, DIRECTORY) == pem


def test_a_renewal_record_counts_failures_and_clears_on_success(session):
    assert acme.renewal_state(session, "www") == RenewalState()
    failed = RenewalState().failed("DNS problem", NOW).failed("DNS problem", NOW)
    acme.record_renewal(session, "www", failed, NOW)
    session.commit()
    state = acme.renewal_state(session, "www")
    assert (state.failures, state.last_error) == (2, "DNS problem")
    assert state.next_attempt_at == failed.next_attempt_at
    acme.record_renewal(session, "www", RenewalState(), NOW)
    [row] = acme.list_renewals(session)
    assert (row.failures, row.last_success_at) == (0, NOW)


def test_lbctl_file_rotate_key_re_encrypts_the_account_keys_too(session, files_key, monkeypatch):
    from controlplane import store
    from controlplane.store import files

    pem = acme.account_key(session, DIRECTORY)
    newer = new_key()
    monkeypatch.setenv(FILES_KEY_ENV, f"{newer},{files_key}")
    assert files.rotate_files_key(session, store.SYSTEM) == 1
    monkeypatch.setenv(FILES_KEY_ENV, newer)
    assert acme.account_key(session, DIRECTORY) == pem
