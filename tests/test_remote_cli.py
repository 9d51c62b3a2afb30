"""CI's view: `lbctl --server --token plan|apply` against a real server; store, user, token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from controlplane import store
from controlplane.cli import main
from controlplane.remote import RemoteClient
from controlplane.usecases.revisions import import_yaml
from controlplane.web import create_app

from .support import EXAMPLE, SEED

PASSWORD = "a-long-test-password"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store folder the CLI commands and the server both use."""
    monkeypatch.setenv("LBCTL_HOME", str(tmp_path / "instance"))
    monkeypatch.delenv("LBCTL_DATABASE_URL", raising=False)
    monkeypatch.setenv("LBCTL_ENVIRONMENT", "example")
    monkeypatch.delenv("LBCTL_SERVER", raising=False)
    monkeypatch.delenv("LBCTL_TOKEN", raising=False)
    return tmp_path / "instance"


@pytest.fixture
def server(home: Path) -> Iterator[dict[str, Any]]:
    """A running control plane on 127.0.0.1 with the example model and a token per role."""
    app = create_app(secure_cookies=False, admin_password=None)
    factory = app.extensions["lbctl.sessions"]
    found: dict[str, Any] = {"sessions": factory}
    with factory.begin() as session:
        import_yaml(session, "example", EXAMPLE.read_text(), SEED, "Example", None)
        for role in ("viewer", "operator"):
            user = store.create_user(session, role, PASSWORD, role)
            found[role] = store.create_token(session, user, "ci", role)[1]
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    found["url"] = f"http://127.0.0.1:{http.server_port}"
    yield found
    http.shutdown()
    thread.join(5)


def lbctl(server: dict[str, Any], role: str, *args: str) -> Any:
    return CliRunner().invoke(
        main, ["--server", server["url"], *args], env={"LBCTL_TOKEN": server[role]}
    )


def example_with(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "lb.yaml"
    text = EXAMPLE.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def revisions(server: dict[str, Any]) -> list[int]:
    with server["sessions"]() as session:
        return [r.number for r in store.list_revisions(session, "example")]


APP1 = "{name: app1, address: 198.18.0.20, port: 8080}"


def test_plan_without_changes_exits_0(server: dict[str, Any]) -> None:
    result = lbctl(server, "viewer", "plan", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "no changes" in result.output


def test_plan_with_a_change_exits_1_and_shows_the_diff(
    server: dict[str, Any], tmp_path: Path
) -> None:
    changed = example_with(tmp_path, APP1, APP1.replace("8080", "8081"))
    result = lbctl(server, "viewer", "plan", str(changed))
    assert result.exit_code == 1, result.output
    assert "+    server app1 198.18.0.20:8081 check weight 100" in result.output
    assert "nothing deployed yet" in result.output
    # by section, or "proved before" when this process proved that very file already
    assert "haproxy -c: proved " in result.output


def test_plan_of_an_invalid_model_exits_2_naming_the_field(
    server: dict[str, Any], tmp_path: Path
) -> None:
    broken = example_with(tmp_path, APP1, APP1.replace("8080", "99999"))
    result = lbctl(server, "viewer", "plan", str(broken))
    assert result.exit_code == 2, result.output
    assert "pools[app].servers[app1].port: must be 1-65535, got 99999" in result.output


def test_plan_needs_a_server(home: Path) -> None:
    result = CliRunner().invoke(main, ["plan", str(EXAMPLE)])
    assert result.exit_code == 2
    assert "--server" in result.output


def test_apply_saves_a_new_revision(server: dict[str, Any], tmp_path: Path) -> None:
    changed = example_with(tmp_path, APP1, APP1.replace("8080", "8081"))
    result = lbctl(server, "operator", "apply", str(changed), "-m", "app1 moves")
    assert result.exit_code == 0, result.output
    assert "saved revision 2 (based on 1" in result.output
    assert revisions(server) == [2, 1]
    with server["sessions"]() as session:
        assert store.get_revision(session, "example", 2).message == "app1 moves"


def test_apply_of_an_unchanged_model_saves_nothing(server: dict[str, Any]) -> None:
    result = lbctl(server, "operator", "apply", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "no change: revision 1 stays current" in result.output
    assert revisions(server) == [1]


def test_apply_after_a_concurrent_edit_fails_and_writes_nothing(
    server: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_plan = RemoteClient.plan

    def plan_then_someone_saves(client: RemoteClient, model: dict[str, Any]) -> dict[str, Any]:
        found = real_plan(client, model)
        with server["sessions"].begin() as session:
            import_yaml(
                session,
                "example",
                EXAMPLE.read_text(),
                store.Actor("alice", "operator"),
                "meanwhile",
                1,
            )
        return found

    monkeypatch.setattr(RemoteClient, "plan", plan_then_someone_saves)
    changed = example_with(tmp_path, APP1, APP1.replace("8080", "8081"))
    result = lbctl(server, "operator", "apply", str(changed))
    assert result.exit_code == 1, result.output
    assert "someone saved a new revision meanwhile; nothing was written" in result.output
    assert "newest is revision 2" in result.output
    assert revisions(server) == [2, 1]


def test_apply_with_a_viewer_token_is_refused(server: dict[str, Any], tmp_path: Path) -> None:
    changed = example_with(tmp_path, APP1, APP1.replace("8080", "8081"))
    result = lbctl(server, "viewer", "apply", str(changed))
    assert result.exit_code == 1
    assert "role viewer cannot do this (operator) (HTTP 403)" in result.output
    assert revisions(server) == [1]


def test_a_wrong_token_is_explained(server: dict[str, Any]) -> None:
    result = CliRunner().invoke(
        main, ["--server", server["url"], "plan", str(EXAMPLE)], env={"LBCTL_TOKEN": "nope"}
    )
    assert result.exit_code == 2
    assert "unknown, revoked or its user disabled" in result.output


# --- store init, user, token ---------------------------------------------------------


def test_store_init_imports_once_and_shows_the_admin_password_once(home: Path) -> None:
    first = CliRunner().invoke(main, ["store", "init", "--import", str(EXAMPLE)])
    assert first.exit_code == 0, first.output
    assert "as example revision 1" in first.output
    assert "created user admin with password " in first.output
    second = CliRunner().invoke(main, ["store", "init", "--import", str(EXAMPLE)])
    assert second.exit_code == 0, second.output
    assert "password" not in second.output
    assert "example is at revision 1" in second.output
    password = first.output.split("with password ")[1].split()[0]
    app = create_app(secure_cookies=False, admin_password=None)
    with app.extensions["lbctl.sessions"]() as session:
        assert store.verify_login(session, "admin", password) is not None
        assert [r.number for r in store.list_revisions(session, "example")] == [1]


def test_user_add_reads_the_password_from_stdin(home: Path) -> None:
    result = CliRunner().invoke(main, ["user", "add", "ci", "--role", "operator"], input=PASSWORD)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    listed = CliRunner().invoke(main, ["user", "list"])
    assert "ci" in listed.output and "operator" in listed.output
    app = create_app(secure_cookies=False, admin_password=None)
    with app.extensions["lbctl.sessions"]() as session:
        assert store.verify_login(session, "ci", PASSWORD).role == "operator"


def test_user_add_refuses_a_short_password(home: Path) -> None:
    result = CliRunner().invoke(main, ["user", "add", "ci"], input="short\n")
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output


def test_token_create_prints_a_working_token_once_and_revoke_ends_it(home: Path) -> None:
    CliRunner().invoke(main, ["user", "add", "ci", "--role", "operator"], input=PASSWORD)
    created = CliRunner().invoke(
        main, ["token", "create", "--user", "ci", "--name", "pipeline", "--role", "viewer"]
    )
    assert created.exit_code == 0, created.output
    plaintext = created.stdout.strip()
    assert plaintext.startswith("lbctl_")
    listed = CliRunner().invoke(main, ["token", "list"]).output
    assert "ci/pipeline" in listed and plaintext not in listed
    app = create_app(secure_cookies=False, admin_password=None)
    with app.extensions["lbctl.sessions"]() as session:
        assert store.authenticate_token(session, plaintext)[1] == "viewer"
    assert CliRunner().invoke(main, ["token", "revoke", "1"]).exit_code == 0
    with app.extensions["lbctl.sessions"]() as session:
        assert store.authenticate_token(session, plaintext) is None


def test_user_disable_stops_the_users_tokens(home: Path) -> None:
    CliRunner().invoke(main, ["user", "add", "ci", "--role", "operator"], input=PASSWORD)
    assert CliRunner().invoke(main, ["user", "disable", "ci"]).exit_code == 0
    assert "disabled" in CliRunner().invoke(main, ["user", "list"]).output
    refused = CliRunner().invoke(main, ["token", "create", "--user", "ci", "--name", "x"])
    assert refused.exit_code == 1
    assert "is disabled" in refused.output
