"""The plan of a candidate (store flow) labels a certificate's new content `runtime`."""

from __future__ import annotations

import pytest

from controlplane import store
from controlplane.store.file_encryption import FILES_KEY_ENV, new_key
from controlplane.usecases import revisions, stored_files
from tests.support import SEED
from tests.tls_material import make_ca, make_leaf

from .test_stored_files import ADMIN, ENV, tls_document


@pytest.fixture(autouse=True)
def files_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FILES_KEY_ENV, new_key())


def _deployed(session, revision) -> None:
    deployment = store.create_deployment(session, revision, "test")
    store.start_deployment(session, deployment.id)
    store.finish_deployment(session, deployment.id, "succeeded", [])


def test_a_new_certificate_content_is_a_runtime_change_in_the_plan(session) -> None:
    ca = make_ca()
    first, second = make_leaf(ca, "www.example.com"), make_leaf(ca, "www.example.com")
    stored_files.put_certificate(session, ENV, ADMIN, "site", first.bundle())
    _deployed(session, revisions.save_document(session, ENV, tls_document(), SEED, "tls", None))
    stored_files.put_certificate(session, ENV, ADMIN, "site", second.bundle())

    review = revisions.review_document(session, ENV, tls_document())

    changes = [c.as_dict() for c in review.changes]
    assert changes and {c["file"] for c in changes} == {"certs/site.pem"}
    assert {c["path"] for c in changes} == {"runtime"}
    assert "no reload" in changes[0]["what"]
    assert not any(second.key_pem().splitlines()[1] in repr(c) for c in changes)


def test_a_certificate_next_to_a_reload_goes_with_the_reload(session) -> None:
    ca = make_ca()
    stored_files.put_certificate(
        session, ENV, ADMIN, "site", make_leaf(ca, "www.example.com").bundle()
    )
    _deployed(session, revisions.save_document(session, ENV, tls_document(), SEED, "tls", None))
    stored_files.put_certificate(
        session, ENV, ADMIN, "site", make_leaf(ca, "www.example.com").bundle()
    )
    document = tls_document()
    document["health_checks"][0]["interval"] = "7s"

    review = revisions.review_document(session, ENV, document)

    assert {c.path for c in review.changes if c.file == "certs/site.pem"} == {"reload"}
