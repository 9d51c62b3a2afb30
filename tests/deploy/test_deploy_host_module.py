"""lbctl_deploy_host: the whole host in one module call, with the code of the step modules."""

from __future__ import annotations

from typing import Any

import yaml

from .host_modules import host_module

deploy_host = host_module("lbctl_deploy_host")
stage = host_module("lbctl_stage")
haproxy_apply = host_module("lbctl_haproxy_apply")
keepalived_apply = host_module("lbctl_keepalived_apply")

STAGED = {
    "haproxy_pending": False,
    "files_changed": True,
    "files_runtime": False,
    "files_managed": True,
    "files_version": "new",
    "files_live_version": "old",
}


def _params(**values: Any) -> dict[str, Any]:
    spec = deploy_host.ARGUMENT_SPEC
    return {name: option.get("default", f"<{name}>") for name, option in spec.items()} | values


def test_it_takes_every_option_of_lbctl_stage_and_documents_its_own() -> None:
    documented = yaml.safe_load(deploy_host.DOCUMENTATION)["options"]
    assert set(deploy_host.ARGUMENT_SPEC) == set(stage.ARGUMENT_SPEC) | set(documented)


def test_the_haproxy_step_gets_exactly_the_options_of_lbctl_haproxy_apply() -> None:
    for rollback in (False, True):
        params = deploy_host.haproxy_params(_params(), STAGED, rollback)
        assert set(params) == set(haproxy_apply.ARGUMENT_SPEC)


def test_the_rollback_restores_the_backup_and_the_files_version_that_ran() -> None:
    p = _params(backup="/b", staging="/s", haproxy_rollback_commands=["set server a/b weight 1"])
    forward = deploy_host.haproxy_params(p, STAGED, rollback=False)
    back = deploy_host.haproxy_params(p, STAGED | {"files_changed": False}, rollback=True)
    assert (forward["source"], forward["files_version"]) == ("/s/haproxy.cfg", "new")
    assert (back["source"], back["files_version"]) == ("/b/haproxy.cfg", "old")
    assert back["runtime_commands"] == ["set server a/b weight 1"]
    assert back["expected_backends"] == []


def test_a_pending_reload_or_a_file_only_a_reload_applies_means_no_runtime_path() -> None:
    p = _params(haproxy_runtime_commands=["set server a/b weight 1"])
    assert deploy_host.haproxy_params(p, STAGED, rollback=False)["runtime_commands"] == []
    runtime_ok = STAGED | {"files_changed": False}
    assert deploy_host.haproxy_params(p, runtime_ok, rollback=False)["runtime_commands"] == [
        "set server a/b weight 1"
    ]
    pending = runtime_ok | {"haproxy_pending": True}
    assert deploy_host.haproxy_params(p, pending, rollback=False)["runtime_commands"] == []


def test_the_keepalived_step_gets_exactly_the_options_of_lbctl_keepalived_apply() -> None:
    p = _params(staging="/s", backup="/b", keepalived_names=["k.phase1.conf", "k.conf"])
    forward = deploy_host.keepalived_params(p, rollback=False)
    back = deploy_host.keepalived_params(p, rollback=True)
    assert set(forward) == set(back) == set(keepalived_apply.ARGUMENT_SPEC)
    assert forward["sources"] == ["/s/k.phase1.conf", "/s/k.conf"]
    assert back["sources"] == ["/b/keepalived.conf"]
