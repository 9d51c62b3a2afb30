"""Model list pages show one page of items at a time, and find items by name."""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Flask

from controlplane.usecases import revisions
from controlplane.web.ui.list_pages import PAGE_SIZE

from .ui_support import document, newest


def _with_pools(app: Flask, count: int) -> None:
    """Save a revision with `count` more pools (copies of the first, renamed)."""
    doc: dict[str, Any] = document(app)
    first = doc["pools"][0]
    doc["pools"] += [dict(copy.deepcopy(first), name=f"extra{i:03}") for i in range(count)]
    with app.extensions["lbctl.sessions"]() as session:
        from controlplane.store import Actor

        revisions.save_document(
            session, "example", doc, Actor("admin", "admin"), "many", newest(app).number
        )
        session.commit()


def _names(page: str) -> list[str]:
    return re.findall(r'<td><a href="/model/pools/([^"/+]+)"', page)


def test_a_long_list_shows_one_page_and_links_the_next(app: Flask, as_role):
    _with_pools(app, PAGE_SIZE + 20)
    total = len(document(app)["pools"])
    client = as_role("viewer")
    first = client.get("/model/pools/").get_data(as_text=True)
    assert len(_names(first)) == PAGE_SIZE
    assert f"1\N{EN DASH}{PAGE_SIZE} of {total}" in first
    assert 'rel="next" href="/model/pools/?page=2"' in first
    second = client.get("/model/pools/?page=2").get_data(as_text=True)
    assert len(_names(second)) == total - PAGE_SIZE
    assert set(_names(first)).isdisjoint(_names(second))
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_a_page_past_the_end_shows_the_last_page(app: Flask, as_role):
    _with_pools(app, PAGE_SIZE + 5)
    client = as_role("viewer")
    assert _names(client.get("/model/pools/?page=99").get_data(as_text=True)) == _names(
        client.get("/model/pools/?page=2").get_data(as_text=True)
    )
    assert client.get("/model/pools/?page=x²").status_code == 200


def test_the_filter_finds_items_by_name(app: Flask, as_role):
    _with_pools(app, 30)
    client = as_role("viewer")
    page = client.get("/model/pools/?q=EXTRA01").get_data(as_text=True)
    assert _names(page) == [f"extra01{i}" for i in range(10)]
    none = client.get("/model/pools/?q=%3Cscript%3E").get_data(as_text=True)
    assert _names(none) == [] and "<script>" not in none
