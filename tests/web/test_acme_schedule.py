"""`lbctl serve` (background=True) runs the ACME renewal schedule; other apps do not."""

from __future__ import annotations

from pathlib import Path

from controlplane.lab.polling import wait_for
from controlplane.web import create_app
from controlplane.web.acme_renewal import ACME_KEY


def app(tmp_path: Path, background: bool, interval: float = 3600.0):
    return create_app(
        home=tmp_path / "instance",
        environment="nothing-stored",
        secure_cookies=False,
        admin_password=None,
        status_interval_s=0,
        acme_interval_s=interval,
        background=background,
    )


def test_a_serving_app_renews_on_a_schedule_and_an_empty_store_is_no_error(tmp_path: Path) -> None:
    serving = app(tmp_path, background=True)
    schedule = serving.extensions[ACME_KEY]
    try:
        assert wait_for(lambda: schedule.rounds >= 1, 10)
    finally:
        schedule.stop()
    assert schedule.interval_s == 3600.0


def test_no_schedule_without_background_or_with_interval_zero(tmp_path: Path) -> None:
    assert ACME_KEY not in app(tmp_path, background=False).extensions
    assert ACME_KEY not in app(tmp_path, background=True, interval=0).extensions
