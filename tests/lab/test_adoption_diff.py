"""The adoption diff checker: the hand-written pair's import passes, a real change does not.

No lab needed: the pair is imported from a folder and rendered here; the lab test
(test_adoption.py) runs the same checker on `lbctl diff -i` against the running hosts.
"""

from __future__ import annotations

import pytest

from controlplane.diff import diff_files
from controlplane.model.loader import validate_data
from controlplane.render import render_model
from controlplane.usecases.config_import import import_dir

from .adoption_diff import classify
from .handwritten_pair import HOSTS, haproxy_cfg, keepalived_conf, write_dir


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    folder = write_dir(tmp_path_factory.mktemp("pair"))
    result = import_dir(folder, prove=False)
    hosts = render_model(validate_data(result.model).model).hosts
    return {h.host: dict(h.files) for h in hosts}


def _diff(rendered: dict[str, dict[str, str]]) -> str:
    running = {
        h: {"haproxy.cfg": haproxy_cfg(), "keepalived.conf": keepalived_conf(h)} for h in HOSTS
    }
    return "\n".join(line for d in diff_files(rendered, running) for line in d.lines)


def test_the_import_differs_only_by_lbctl_additions_and_formatting(rendered) -> None:
    found = classify(_diff(rendered))
    assert found.unexplained == []
    assert {"lbctl", "moved", "default", "rule", "haproxy check"} <= set(found.kinds)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("server shop1 198.18.0.22:8080", "server shop1 198.18.0.22:8081"),
        ("timeout client 30s", "timeout client 31s"),
        ("bind 198.18.0.100:8080", "bind 198.18.0.100:8081"),
        (" backup\n", "\n"),
        ("balance leastconn", "balance roundrobin"),
        ("priority 150", "priority 90"),
        ("virtual_router_id 51", "virtual_router_id 52"),
    ],
)
def test_a_change_in_meaning_is_unexplained(rendered, old: str, new: str) -> None:
    changed = {h: dict(files) for h, files in rendered.items()}
    for files in changed.values():
        for name, text in files.items():
            files[name] = text.replace(old, new)
    assert any(rendered[h] != changed[h] for h in rendered), f"{old!r} is not in the rendering"
    assert classify(_diff(changed)).unexplained
