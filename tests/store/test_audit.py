"""The audit log records who did what, when and from where, newest first, without secrets."""

from __future__ import annotations

from controlplane.store import Actor, list_audit_entries, record_audit


def test_every_recorded_action_is_listed_newest_first(session):
    record_audit(
        session,
        Actor("alice", "operator", "192.0.2.1"),
        "revision.save",
        "prod/1",
        {"message": "initial"},
    )
    record_audit(
        session, Actor("bob", "operator", "2001:db8::1"), "deploy.start", "prod/deployment/1"
    )
    session.commit()

    newest, oldest = list_audit_entries(session)
    assert (newest.actor, newest.action, newest.target) == (
        "bob",
        "deploy.start",
        "prod/deployment/1",
    )
    assert (newest.detail, newest.remote_addr) == ({"via": "web"}, "2001:db8::1")
    assert (oldest.detail, oldest.remote_addr) == (
        {"message": "initial", "via": "web"},
        "192.0.2.1",
    )
    assert newest.at.tzinfo is not None and newest.at >= oldest.at


def test_audit_entries_are_paginated(session):
    for number in range(5):
        record_audit(session, Actor("alice", "admin"), "user.create", f"user{number}")
    page = list_audit_entries(session, limit=2, offset=1)
    assert [entry.target for entry in page] == ["user3", "user2"]


def test_secret_values_never_reach_the_audit_log(session):
    detail = {
        "password": "hunter2hunter2",
        "token": "lbctl_abc_def",
        "change": {"authentication": {"password": "s3cret"}, "author": "alice"},
        "token_name": "ci",
    }
    entry = record_audit(
        session, Actor("alice", "admin", via="cli"), "user.set_password", "bob", detail
    )
    session.commit()
    assert entry.detail == {
        "password": "********",
        "token": "********",
        "change": {"authentication": "********", "author": "alice"},
        "token_name": "ci",
        "via": "cli",
    }
