"""User lists: hashed passwords only, refused with their field path, masked as secrets."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from controlplane.diff import diff_files, mask_secrets
from controlplane.model import validate_data
from controlplane.model.secrets import (
    SECRET_MASK,
    explicit_secrets,
    mask_document,
    restore_secrets,
    secret_stand_in,
    secret_values,
)
from controlplane.render import render_model
from tests.support import model_errors

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt as _crypt

SHA512 = _crypt.crypt("s3cret", "$6$abcdefgh$")
SHA256 = _crypt.crypt("s3cret", "$5$abcdefgh$")
BCRYPT = _crypt.crypt("s3cret", "$2b$05$abcdefghijklmnopqrstuu")
YESCRYPT = _crypt.crypt("s3cret", "$y$j9T$abcdefghijklmnop$")
PLACE = "userlists[admins].users[alice]"


def with_userlist(example: dict[str, Any], password: str = SHA512) -> dict[str, Any]:
    example["userlists"] = [{"name": "admins", "users": [{"name": "alice", "password": password}]}]
    return example


@pytest.mark.parametrize("password", [SHA512, SHA256, BCRYPT, YESCRYPT])
def test_each_crypt_hash_haproxy_checks_is_accepted(example, password: str) -> None:
    assert model_errors(with_userlist(example, password)) == []


@pytest.mark.parametrize("plaintext", ["s3cret", "correct horse battery", "$6$short$x"])
def test_a_plaintext_password_is_refused_with_how_to_hash_and_never_echoed(
    example, plaintext: str
) -> None:
    errors = model_errors(with_userlist(example, plaintext))
    assert len(errors) == 1
    assert errors[0].startswith("userlists[admins].users[alice].password:")
    assert "mkpasswd -m sha-512" in errors[0] and "openssl passwd -6" in errors[0]
    assert plaintext not in errors[0]


def test_an_md5_hash_is_refused_as_too_weak(example) -> None:
    errors = model_errors(with_userlist(example, _crypt.crypt("s3cret", "$1$abcdefgh$")))
    assert len(errors) == 1 and "MD5 hashes are too weak" in errors[0]


def test_duplicate_user_lists_and_users_are_errors_naming_the_second(example) -> None:
    with_userlist(example)
    example["userlists"][0]["users"].append({"name": "alice", "password": SHA256})
    example["userlists"].append(dict(example["userlists"][0]))
    errors = model_errors(example)
    assert "userlists[1].name: duplicate name 'admins' (also userlists[0])" in errors
    assert any(e.startswith("userlists[admins].users[1].name: duplicate user") for e in errors)


@pytest.mark.parametrize("name", ["al ice", "alice\n", "al:ice", "#alice", 'al"ice', "-x"])
def test_a_user_name_that_could_inject_is_refused_with_its_path(example, name: str) -> None:
    example = with_userlist(example)
    example["userlists"][0]["users"][0]["name"] = name
    errors = model_errors(example)
    assert errors and errors[0].startswith("userlists[admins].users[0].name:")


def test_user_lists_render_as_userlist_sections_on_every_host(example) -> None:
    rendered = render_model(validate_data(with_userlist(example)).model)
    for host in rendered.hosts:
        assert f"userlist admins\n    user alice password {SHA512}\n" in host.files["haproxy.cfg"]


def test_the_hash_is_a_secret_masked_and_restored_by_its_place(example) -> None:
    document = with_userlist(example)
    masked = mask_document(document)
    assert masked["userlists"][0]["users"][0]["password"] == SECRET_MASK
    assert secret_values(document) == {PLACE: SHA512}
    assert explicit_secrets(masked) == set() and explicit_secrets(document) == {PLACE}
    assert restore_secrets(masked, document) == document


def test_a_stand_in_for_a_hash_is_itself_a_valid_hash(example) -> None:
    assert model_errors(with_userlist(example, secret_stand_in(PLACE, "kept0"))) == []
    assert model_errors(with_userlist(example, secret_stand_in(PLACE, "replaced"))) == []


def test_diffs_and_masked_files_never_show_the_hash(example) -> None:
    old = render_model(validate_data(with_userlist(example)).model).hosts[0].files
    new = render_model(validate_data(with_userlist(example, SHA256)).model).hosts[0].files
    assert SHA512 not in mask_secrets(old["haproxy.cfg"])
    (diff,) = [d for d in diff_files({"lb1": new}, {"lb1": old}) if d.file == "haproxy.cfg"]
    text = "\n".join(diff.lines)
    assert "user alice password ******** (changed)" in text
    assert SHA512 not in text and SHA256 not in text
