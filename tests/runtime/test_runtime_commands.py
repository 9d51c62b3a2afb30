"""Runtime API commands, answers and the hosts read from an inventory."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.runtime import RuntimeAnswerError, model_change, read_targets, runtime_state
from controlplane.runtime.haproxy import check_applied, worker_pid
from controlplane.runtime.pool import ChannelPool
from controlplane.runtime.targets import InventoryUnreadable

SERVERS_STATE = """1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight x
6 app 1 app1 198.18.0.20 2 0 100 100 35 15 3 4 6 0 0 0 - 8080 - 0 0 - - 0
6 app 2 app2 198.18.0.21 2 8 0 50 0 15 3 4 6 0 0 0 - 8080 - 0 0 - - 0
6 app 3 app3 198.18.0.22 2 1 50 50 0 15 3 4 6 0 0 0 - 8080 - 0 0 - - 0
"""


def test_model_states_map_to_runtime_states_and_drain_sets_weight_zero() -> None:
    assert model_change("app", "app2", "drain", 50).commands() == [
        "set server app/app2 state drain",
        "set server app/app2 weight 0",
    ]
    assert model_change("app", "app2", "enabled", 50).state == "ready"
    assert model_change("app", "app2", "maint", 50).weight == 50


def test_show_servers_state_is_read_as_state_and_weight() -> None:
    found = runtime_state(SERVERS_STATE)
    assert [(s.server, s.state, s.weight) for s in found.values()] == [
        ("app1", "ready", 100),
        ("app2", "drain", 0),
        ("app3", "maint", 50),
    ]
    assert found["app/app2"].matches(model_change("app", "app2", "drain", 50))


def test_any_text_from_haproxy_is_an_error_naming_the_command() -> None:
    check_applied(["set server a/b weight 1"], ["\n"])
    with pytest.raises(RuntimeAnswerError, match=r"`set server a/nope weight 1`: No such server"):
        check_applied(["set server a/nope weight 1"], ["No such server.\n\n"])


def test_worker_pid_comes_from_show_info() -> None:
    assert worker_pid("Name: HAProxy\nPid: 4242\nUptime: 0d\n") == "4242"


def test_targets_from_a_yaml_inventory_with_role_defaults(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(
        "all:\n  children:\n    lb:\n      hosts:\n"
        "        lb1: {ansible_host: 198.18.0.10, haproxy_socket: /run/h.sock}\n"
        "        lb2: {ansible_host: 198.18.0.11, ansible_port: 2222}\n"
        "      vars: {ansible_user: deploy, ansible_become: true,"
        " ansible_ssh_common_args: '-o StrictHostKeyChecking=no'}\n"
    )
    targets = read_targets(path)
    assert targets["lb1"].address == "198.18.0.10"
    assert targets["lb1"].haproxy_socket == "/run/h.sock"
    assert targets["lb2"].haproxy_socket == "/run/haproxy/admin.sock"  # role default
    assert (targets["lb2"].port, targets["lb2"].user, targets["lb2"].become) == (
        2222,
        "deploy",
        True,
    )
    assert targets["lb1"].ssh_common_args == "-o StrictHostKeyChecking=no"


def test_targets_from_an_ini_inventory(tmp_path: Path) -> None:
    path = tmp_path / "hosts.ini"
    path.write_text(
        "[lb]\nlb1 ansible_host=198.18.0.10 ansible_user=root"
        " ansible_ssh_private_key_file=/k/id\nlb2 ansible_host=198.18.0.11\n"
    )
    targets = read_targets(path, ["lb1"])
    assert list(targets) == ["lb1"]
    assert (targets["lb1"].user, targets["lb1"].private_key) == ("root", "/k/id")


def test_a_missing_inventory_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    # The server change route reports it per host; before, it was a 500.
    with pytest.raises(InventoryUnreadable, match="does not exist"):
        ChannelPool().targets(tmp_path / "hosts.yml", ["lb1"])
