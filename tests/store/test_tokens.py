"""API tokens: shown once, stored only as a hash, revocable, never above their user's role."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from controlplane.store import (
    Role,
    RoleTooHigh,
    UserDisabled,
    authenticate_token,
    create_token,
    create_user,
    disable_user,
    list_tokens,
    revoke_token,
    set_role,
)


@pytest.fixture
def operator(session):
    return create_user(session, "olga", "correct horse battery", Role.operator)


def test_a_new_token_authenticates_as_its_user_with_its_role(session, operator):
    token, plaintext = create_token(session, operator, "ci", Role.viewer)
    session.commit()

    user, role = authenticate_token(session, plaintext)
    assert (user.name, role) == ("olga", Role.viewer)
    assert plaintext.startswith(f"lbctl_{token.prefix}_") and len(plaintext) >= 56
    assert token.last_used_at is not None


def test_the_plaintext_is_not_stored_only_its_sha256(session, operator):
    _, plaintext = create_token(session, operator, "ci", Role.operator)
    session.commit()
    rows = session.execute(text("SELECT * FROM api_tokens")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    secret = plaintext.split("_", 2)[2]
    assert secret not in stored and plaintext not in stored
    assert list_tokens(session, operator)[0].token_hash.isalnum()


def test_wrong_or_malformed_tokens_are_refused(session, operator):
    _, plaintext = create_token(session, operator, "ci", Role.operator)
    tampered = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert authenticate_token(session, tampered) is None
    assert authenticate_token(session, "lbctl_nothing") is None
    assert authenticate_token(session, "") is None


def test_a_revoked_token_no_longer_authenticates(session, operator):
    token, plaintext = create_token(session, operator, "ci", Role.operator)
    revoke_token(session, token.id)
    session.commit()
    assert authenticate_token(session, plaintext) is None
    assert list_tokens(session)[0].revoked_at is not None


def test_a_token_cannot_have_a_role_above_its_user(session, operator):
    with pytest.raises(RoleTooHigh):
        create_token(session, operator, "too-much", Role.admin)


def test_demoting_or_disabling_the_user_limits_their_tokens(session, operator):
    _, plaintext = create_token(session, operator, "ci", Role.operator)
    set_role(session, "olga", Role.viewer)
    assert authenticate_token(session, plaintext)[1] == Role.viewer
    disable_user(session, "olga")
    assert authenticate_token(session, plaintext) is None
    with pytest.raises(UserDisabled):
        create_token(session, operator, "another", Role.viewer)
