"""The collector is paused while a whole-document request runs, and only then."""

from __future__ import annotations

import gc
import threading

from flask.testing import FlaskClient

from controlplane.web import collection_pause
from controlplane.web.collection_pause import collection_paused

from .conftest import bearer


def test_the_collector_runs_again_after_a_paused_block() -> None:
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_stays_paused_until_the_last_overlapping_block_ends() -> None:
    first_in, second_out, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collection_paused():
            first_in.set()
            second_out.wait(10)
            seen.append(gc.isenabled())  # the second one has ended: still paused
        first_out.set()

    runner = threading.Thread(target=first)
    runner.start()
    first_in.wait(10)
    with collection_paused():
        pass
    second_out.set()
    first_out.wait(10)
    runner.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_in_the_block_resumes_the_collector() -> None:
    try:
        with collection_paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled() and collection_pause._in_flight == 0


def test_a_put_runs_with_the_collector_paused_and_resumes_it(
    client: FlaskClient, tokens: dict[str, str], monkeypatch
) -> None:
    from controlplane.usecases import revisions

    during: list[bool] = []
    save = revisions.save_document

    def watched(*args, **kwargs):
        during.append(gc.isenabled())
        return save(*args, **kwargs)

    monkeypatch.setattr(revisions, "save_document", watched)
    model = client.get("/api/v1/model", headers=bearer(tokens["viewer"])).get_json()["model"]
    answer = client.put(
        "/api/v1/model",
        json={"base_revision": 1, "model": model, "message": "same"},
        headers=bearer(tokens["operator"]),
    )
    assert answer.status_code == 200
    assert during == [False]
    assert gc.isenabled()
