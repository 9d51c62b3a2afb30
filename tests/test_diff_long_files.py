"""Long files are diffed around their changes: the same diff as difflib on the whole files."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlplane import diff
from controlplane.diff import diff_files

_LINES = [f"    server s{i} 198.19.0.{i % 250}:8080 check weight {i % 7}" for i in range(3000)]


def _whole(old: list[str], new: list[str]) -> list[str]:
    return list(
        difflib.unified_diff(old, new, "a/lb1/haproxy.cfg", "b/lb1/haproxy.cfg", lineterm="")
    )


@settings(max_examples=40, deadline=None)
@given(
    at=st.integers(0, len(_LINES) - 1),
    removed=st.integers(0, 4),
    added=st.lists(st.sampled_from(["    weight 5", "backend x", ""]), max_size=4),
)
def test_one_change_anywhere_gives_the_whole_files_diff(at, removed, added) -> None:
    new = _LINES[:at] + added + _LINES[at + removed :]
    found = diff_files(
        {"lb1": {"haproxy.cfg": "\n".join(new)}}, {"lb1": {"haproxy.cfg": "\n".join(_LINES)}}
    )
    # The file's lines as lbctl reads any text: a last "" only ends the file with a newline.
    expected = _whole(_LINES, "\n".join(new).splitlines())
    assert found[0].lines == expected
    assert found[0].status == ("unchanged" if new == _LINES else "changed")


def test_two_distant_changes_give_two_hunks_with_the_whole_files_numbers() -> None:
    new = list(_LINES)
    new[10] = "    changed near the start"
    new[2900] = "    changed near the end"
    found = diff_files(
        {"lb1": {"haproxy.cfg": "\n".join(new)}}, {"lb1": {"haproxy.cfg": "\n".join(_LINES)}}
    )
    assert found[0].lines == _whole(_LINES, new)
    assert [line for line in found[0].lines if line.startswith("@@")] == [
        "@@ -8,7 +8,7 @@",
        "@@ -2898,7 +2898,7 @@",
    ]


_SECRET = "    user admin password $6$salt$hash"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.lists(
        st.tuples(
            st.integers(0, len(_LINES) - 1),
            st.integers(0, 3),
            st.lists(st.sampled_from(["    weight 5", "", _SECRET, _LINES[5]]), max_size=3),
        ),
        min_size=1,
        max_size=3,
    ),
    secret_at=st.sampled_from([None, 1, 2999]),
    trailing=st.booleans(),
)
def test_the_window_around_the_changes_gives_the_whole_lines_diff(
    changes: list[tuple[int, int, list[str]]],
    secret_at: int | None,
    trailing: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = list(_LINES)
    if secret_at is not None:
        old[secret_at] = _SECRET
    new = list(old)
    for at, removed, added in changes:
        new[at : at + removed] = added
    if secret_at is not None and secret_at < len(new):
        new[secret_at] = _SECRET.replace("hash", "other")  # a secret changed far away
    old_text, new_text = "\n".join(old), "\n".join(new) + ("\n" if trailing else "")
    files = ({"lb1": {"haproxy.cfg": new_text}}, {"lb1": {"haproxy.cfg": old_text}})
    windowed = diff_files(*files)
    with monkeypatch.context() as whole_lines:
        whole_lines.setattr(diff, "_line_window", lambda a, b: (0, a, b))
        assert windowed == diff_files(*files)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.integers(0, 3000),
    width=st.integers(0, 80),
    count=st.integers(0, 2500),
)
def test_has_lines_reads_only_far_enough_and_agrees_with_counting(lines, width, count) -> None:
    text = ("x" * width + "\n") * lines
    assert diff._has_lines(text, count) == (text.count("\n") >= count)


def test_a_kept_secret_far_from_the_change_shows_masked_and_unchanged() -> None:
    old = list(_LINES)
    old[2] = _SECRET
    new = list(old)
    new[2990] = _SECRET  # the same secret line, now near the change too
    new[2995] = "    weight 5"
    (found,) = diff_files(
        {"lb1": {"haproxy.cfg": "\n".join(new)}}, {"lb1": {"haproxy.cfg": "\n".join(old)}}
    )
    added = [line for line in found.lines if line.startswith("+") and "password" in line]
    assert added == ["+    user admin password ********"]
