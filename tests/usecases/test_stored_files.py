"""The store flow: a stored revision renders with the file versions it recorded, an upload of
a file the model uses makes a new revision, a rollback serves the old bytes, and a model
naming a file the store does not have is refused naming the field."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from controlplane import store
from controlplane.errors import ModelInvalid
from controlplane.model import parse_document
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.usecases import revisions, stored_files
from tests.support import EXAMPLE, SEED
from tests.tls_material import make_ca, make_leaf

ENV = "prod"
ADMIN = store.Actor("alice", "admin", "192.0.2.9", "api")


@pytest.fixture(autouse=True)
def files_key(monkeypatch):
    monkeypatch.setenv(FILES_KEY_ENV, new_key())


@pytest.fixture(scope="module")
def ca():
    return make_ca()


def tls_document() -> dict:
    """The example model with its TLS frontend serving the stored certificate `site`."""
    document = copy.deepcopy(parse_document(EXAMPLE.read_bytes(), "example"))
    document["certificates"] = [{"name": "site"}]
    for frontend in document["frontends"]:
        if frontend["name"] == "web-tls":
            frontend["tls"] = {"certificates": ["site"]}
    return document


def attached_certificate(result) -> str:
    texts = {
        attached.text
        for host in result.rendered.hosts
        for key, attached in host.attached.items()
        if key == "certs/site.pem"
    }
    assert len(texts) == 1, texts
    return texts.pop()


def test_a_stored_revision_renders_with_the_versions_it_recorded(session, ca):
    first = make_leaf(ca, "www.example.com")
    stored_files.put_certificate(session, ENV, ADMIN, "site", first.bundle())
    revision = revisions.save_document(session, ENV, tls_document(), SEED, "tls", None)

    result = revisions.render_revision(session, revision)
    assert attached_certificate(result) == first.bundle()
    haproxy = result.rendered.hosts[0].files["haproxy.cfg"]
    assert "BEGIN" not in haproxy


def test_uploading_a_file_the_model_uses_saves_a_revision_and_rollback_serves_the_old(session, ca):
    first, second = make_leaf(ca, "www.example.com"), make_leaf(ca, "www.example.com")
    stored_files.put_certificate(session, ENV, ADMIN, "site", first.bundle())
    one = revisions.save_document(session, ENV, tls_document(), SEED, "tls", None)

    uploaded = stored_files.put_certificate(session, ENV, ADMIN, "site", second.bundle())
    two = uploaded.revision
    assert two is not None and two.number == one.number + 1
    assert two.message.startswith("New version of certificate site (not after ")
    assert two.content_hash != one.content_hash  # same model, other certificate
    assert attached_certificate(revisions.render_revision(session, two)) == second.bundle()

    back = revisions.rollback(session, ENV, one.number, ADMIN, two.number)
    assert back.content_hash == one.content_hash
    assert attached_certificate(revisions.render_revision(session, back)) == first.bundle()
    # The first version stays for the revisions that use it, though no longer current.
    assert (
        store.get_file(session, "certificate", "site").content_sha256
        != (store.files.revision_pins(session, back)[("certificate", "site")])
    )


def test_a_model_naming_a_file_the_store_lacks_is_refused_naming_the_field(session):
    revision = revisions.save_document(session, ENV, tls_document(), SEED, "tls", None)
    with pytest.raises(ModelInvalid) as refused:
        revisions.render_revision(session, revision)
    (error,) = refused.value.errors
    assert error.path == "certificates[site]"
    assert "lbctl cert put site --pem FILE" in error.message
    with pytest.raises(ModelInvalid, match="error"):
        revisions.render_document(session, ENV, tls_document(), binary_check=False)


def test_a_file_the_current_model_uses_cannot_be_removed(session, ca):
    stored_files.put_certificate(session, ENV, ADMIN, "site", make_leaf(ca, "a.example").bundle())
    revisions.save_document(session, ENV, tls_document(), SEED, "tls", None)
    with pytest.raises(ModelInvalid) as refused:
        stored_files.remove_file(session, ENV, ADMIN, "certificate", "site")
    assert refused.value.errors[0].path == "certificates[site]"


def test_the_plan_of_a_candidate_uses_the_current_versions(session, ca):
    stored_files.put_certificate(session, ENV, ADMIN, "site", make_leaf(ca, "a.example").bundle())
    revisions.save_document(session, ENV, tls_document(), SEED, "tls", None)
    review = revisions.review_document(session, ENV, tls_document())
    assert not any(d.status != "unchanged" for d in review.against_current)


def test_certificates_are_listed_soonest_expiry_first(session, ca):
    for name, days in (("late", 300), ("soon", 5), ("middle", 60)):
        leaf = make_leaf(ca, f"{name}.example", days=days)
        stored_files.put_certificate(session, ENV, ADMIN, name, leaf.bundle())
    listed = stored_files.certificates_by_expiry(session)
    assert [(v["name"], v["days_left"]) for v in listed] == [
        ("soon", 4),
        ("middle", 59),
        ("late", 299),
    ]


def test_editing_the_model_after_a_rollback_keeps_the_rolled_back_certificate(session, ca):
    first, second = make_leaf(ca, "www.example.com"), make_leaf(ca, "www.example.com")
    stored_files.put_certificate(session, ENV, ADMIN, "site", first.bundle())
    one = revisions.save_document(session, ENV, tls_document(), SEED, "tls", None)
    two = stored_files.put_certificate(session, ENV, ADMIN, "site", second.bundle()).revision
    back = revisions.rollback(session, ENV, one.number, ADMIN, two.number)

    edited = tls_document()
    edited["settings"] = dict(edited.get("settings") or {}, maxconn=30000)
    after = revisions.save_document(session, ENV, edited, SEED, "maxconn", back.number)
    assert attached_certificate(revisions.render_revision(session, after)) == first.bundle()


def test_stored_files_are_checked_as_the_file_flow_checks_them(session, ca):
    expired = make_leaf(ca, "www.example.com", days=-1)
    before = datetime.now(UTC) - timedelta(days=2)
    store.files.put_certificate(session, ADMIN, "site", expired.bundle(), now=before)
    revision = revisions.save_document(session, ENV, tls_document(), SEED, "tls", None)
    with pytest.raises(ModelInvalid) as refused:
        revisions.render_revision(session, revision, binary_check=False)
    (error,) = refused.value.errors
    assert error.path == "certificates[site]" and "expired on" in error.message


def test_a_certificate_covering_none_of_its_frontends_names_is_a_warning(session, ca):
    stored_files.put_certificate(session, ENV, ADMIN, "site", make_leaf(ca, "a.example").bundle())
    document = tls_document()
    for frontend in document["frontends"]:
        if frontend["name"] == "web-tls":
            frontend["routes"] = [{"host": "shop.example.com", "pool": "app"}]
    result = revisions.render_document(session, ENV, document, binary_check=False)
    assert any(
        w.path == "certificates[site]" and "covers none of the host names" in w.message
        for w in result.warnings
    )


def test_an_acme_certificate_not_issued_yet_says_so(session):
    document = tls_document()
    document["certificates"] = [{"name": "site", "acme": {"domains": ["www.example.com"]}}]
    revision = revisions.save_document(session, ENV, document, SEED, "acme", None)
    with pytest.raises(ModelInvalid) as refused:
        revisions.render_revision(session, revision, binary_check=False)
    (error,) = refused.value.errors
    assert error.path == "certificates[site]"
    assert (
        error.message
        == "ACME has not issued certificate 'site' yet: lbctl acme renew site orders it"
    )
