"""Users log in with a salted, slow password hash; roles are ordered viewer < operator < admin."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from controlplane.store import (
    InvalidName,
    PasswordTooShort,
    Role,
    UserExists,
    create_user,
    disable_user,
    enable_user,
    list_users,
    role_allows,
    set_password,
    set_role,
    verify_login,
)

PASSWORD = "correct horse battery"


def test_the_right_password_logs_in(session):
    create_user(session, "alice", PASSWORD, Role.operator)
    session.commit()
    user = verify_login(session, "alice", PASSWORD)
    assert user is not None and (user.name, user.role) == ("alice", "operator")


def test_a_wrong_password_or_unknown_user_does_not_log_in(session):
    create_user(session, "alice", PASSWORD)
    assert verify_login(session, "alice", PASSWORD + "!") is None
    assert verify_login(session, "mallory", PASSWORD) is None


def test_passwords_are_stored_salted_and_slow_never_in_plain_text(session):
    create_user(session, "alice", PASSWORD)
    create_user(session, "bob", PASSWORD)
    session.commit()
    hashes = session.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert all(h.startswith("scrypt:") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]


def test_a_disabled_user_cannot_log_in_until_enabled(session):
    create_user(session, "alice", PASSWORD)
    disable_user(session, "alice")
    assert verify_login(session, "alice", PASSWORD) is None
    enable_user(session, "alice")
    assert verify_login(session, "alice", PASSWORD) is not None


def test_a_new_password_replaces_the_old_one(session):
    create_user(session, "alice", PASSWORD)
    set_password(session, "alice", "another long password")
    assert verify_login(session, "alice", PASSWORD) is None
    assert verify_login(session, "alice", "another long password") is not None


def test_short_passwords_bad_names_and_duplicates_are_refused(session):
    with pytest.raises(PasswordTooShort):
        create_user(session, "alice", "short")
    with pytest.raises(InvalidName):
        create_user(session, "al ice", PASSWORD)
    create_user(session, "alice", PASSWORD)
    with pytest.raises(UserExists):
        create_user(session, "alice", PASSWORD)


def test_roles_are_ordered_and_can_change(session):
    assert role_allows(Role.admin, Role.operator) and role_allows("operator", "operator")
    assert role_allows("operator", "viewer") and not role_allows("viewer", "operator")
    assert not role_allows(Role.operator, Role.admin)
    with pytest.raises(ValueError):
        role_allows("root", "viewer")
    create_user(session, "bob", PASSWORD, "viewer")
    create_user(session, "alice", PASSWORD, "admin")
    set_role(session, "bob", Role.operator)
    assert [(u.name, u.role) for u in list_users(session)] == [
        ("alice", "admin"),
        ("bob", "operator"),
    ]
