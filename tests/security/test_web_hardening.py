"""What the admin app's answers say to caches: nothing with data in it may be stored."""

from __future__ import annotations

from ..web.conftest import csrf_token


def test_the_page_showing_a_new_token_is_never_stored(as_role) -> None:
    admin = as_role("admin")
    form = {
        "user": "viewer",
        "name": "ci",
        "role": "viewer",
        "csrf_token": csrf_token(admin, "/admin"),
    }
    response = admin.post("/admin/tokens", data=form)
    assert response.status_code == 200 and "lbctl_" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


def test_pages_of_a_logged_in_user_are_never_stored(as_role) -> None:
    assert as_role("viewer").get("/").headers["Cache-Control"] == "no-store"
