"""Every error the CLI prints says what failed, where, and what to do; never an empty line."""

from __future__ import annotations

import errno
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from controlplane.cli import main
from controlplane.render import jinja
from controlplane.usecases import files
from tests.support import EXAMPLE


def render_example(tmp_path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["render", str(EXAMPLE), "--out", str(tmp_path / "out"), "--skip-binary-check"]
    )
    return result.exit_code, result.stderr


def failing_use_case(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def render_file(*_args: object, **_kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(files, "render_file", render_file)


@pytest.fixture
def fresh_templates() -> Iterator[None]:
    """Build the Jinja environment anew, from whatever LBCTL_TEMPLATES says now."""
    jinja.environment.cache_clear()
    yield
    jinja.environment.cache_clear()


def test_an_os_error_names_the_path_the_reason_and_a_fix(tmp_path, monkeypatch):
    failing_use_case(monkeypatch, PermissionError(errno.EACCES, "Permission denied", "/srv/lb"))
    code, err = render_example(tmp_path)
    assert code == 1
    assert err == (
        "error: /srv/lb: Permission denied; "
        "check its permissions, or run as a user allowed to use it\n"
    )


def test_an_os_error_without_details_still_says_what_it_is(tmp_path, monkeypatch):
    # Jinja's TemplateNotFound is such an OSError: it once printed "error: : None".
    failing_use_case(monkeypatch, OSError())
    code, err = render_example(tmp_path)
    assert code == 1
    assert ": None" not in err
    assert err.startswith("error: lbctl failed unexpectedly: OSError")
    assert "LBCTL_DEBUG=1" in err


def test_a_missing_template_names_the_template_and_the_folder(
    tmp_path, monkeypatch, fresh_templates
):
    monkeypatch.setenv("LBCTL_TEMPLATES", str(tmp_path))
    code, err = render_example(tmp_path)
    assert code == 1
    assert err == (
        f"error: template haproxy.cfg.j2 is not in {tmp_path}: "
        "add it there, or unset LBCTL_TEMPLATES to use the templates lbctl ships\n"
    )


@pytest.mark.parametrize(
    ("raised", "shown"),
    [
        (RuntimeError("agent said\nsomething long"), "RuntimeError: agent said ..."),
        (KeyError(), "KeyError"),
    ],
)
def test_an_unexpected_error_is_one_line_with_the_debug_hint(tmp_path, monkeypatch, raised, shown):
    monkeypatch.delenv("LBCTL_DEBUG", raising=False)
    failing_use_case(monkeypatch, raised)
    code, err = render_example(tmp_path)
    assert code == 3
    assert err == (
        f"error: lbctl render failed unexpectedly: {shown} "
        "(set LBCTL_DEBUG=1 and run again for the traceback)\n"
    )


def test_lbctl_debug_lets_an_unexpected_error_through(tmp_path, monkeypatch):
    monkeypatch.setenv("LBCTL_DEBUG", "1")
    failing_use_case(monkeypatch, RuntimeError("boom"))
    result = CliRunner().invoke(
        main, ["render", str(EXAMPLE), "--out", str(tmp_path / "out"), "--skip-binary-check"]
    )
    assert isinstance(result.exception, RuntimeError)
