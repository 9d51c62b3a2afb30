"""The runtime agent's program, run as a host runs it: `python3 -c PROGRAM` on stdin/stdout.

A HostAgent drives it through a channel that starts the program on this machine instead of
over SSH; the system python3 runs it isolated (-I: no PYTHONPATH, no current folder), so it
can import only the standard library, like a host without lbctl.
"""

from __future__ import annotations

import ast
import socketserver
import stat
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from controlplane.paths import playbooks_dir
from controlplane.runtime import HostTarget, SshChannel, SshFailed
from controlplane.runtime.agent import HostAgent, program

HOST_HELPERS = playbooks_dir() / "module_utils" / "lbctl_host.py"
AGENT_SOURCE = Path(str(resources.files("controlplane.runtime").joinpath("host_agent.py")))


class LocalChannel(SshChannel):
    """Runs the agent's command line here: python3 -I -c PROGRAM, without ssh."""

    def command(self, argv: list[str]) -> list[str]:
        python, *rest = argv
        return [python, "-I", *rest]


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[HostAgent]:
    local = HostAgent(LocalChannel(HostTarget(name="local", address="localhost"), tmp_path))
    try:
        yield local
    finally:
        local.close()


class FakeAdminSocket(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """A UNIX socket that answers like HAProxy's: reads the script up to `quit`, then replies."""

    daemon_threads = True
    answer = b"> Name: HAProxy\nPid: 4242\n\n> "

    def __init__(self, path: str) -> None:
        super().__init__(path, _Handler)
        self.received: list[bytes] = []


class _Handler(socketserver.StreamRequestHandler):
    server: FakeAdminSocket

    def handle(self) -> None:
        script = b""
        while not script.endswith(b"quit\n"):
            line = self.rfile.readline()
            if not line:
                break
            script += line
        self.server.received.append(script)
        self.wfile.write(self.server.answer)


@pytest.fixture
def admin_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeAdminSocket]:
    # A short folder: a UNIX socket path holds at most 107 bytes.
    server = FakeAdminSocket(str(tmp_path_factory.mktemp("s") / "admin.sock"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_ask_returns_what_the_socket_answered_to_the_script(
    agent: HostAgent, admin_socket: FakeAdminSocket
) -> None:
    script = "prompt\nshow info\nquit\n"
    assert agent.ask(admin_socket.server_address, script, 5) == FakeAdminSocket.answer.decode()
    assert admin_socket.received == [script.encode()]


def test_ask_opens_the_socket_anew_for_every_request(
    agent: HostAgent, admin_socket: FakeAdminSocket
) -> None:
    agent.ask(admin_socket.server_address, "show info\nquit\n", 5)
    agent.ask(admin_socket.server_address, "show stat\nquit\n", 5)
    assert admin_socket.received == [b"show info\nquit\n", b"show stat\nquit\n"]


def test_install_replaces_the_file_by_a_rename_with_the_mode_asked(
    agent: HostAgent, tmp_path: Path
) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text("old\n")
    config.chmod(0o600)
    before = config.stat().st_ino
    agent.install(str(config), "global\n  maxconn 10\n", 5, mode=0o644)
    assert config.read_text() == "global\n  maxconn 10\n"
    assert stat.S_IMODE(config.stat().st_mode) == 0o644
    assert config.stat().st_ino != before  # a new file renamed over it, not written in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["haproxy.cfg"]  # no temporary left


def test_install_defaults_to_mode_0640(agent: HostAgent, tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    agent.install(str(config), "global\n", 5)
    assert stat.S_IMODE(config.stat().st_mode) == 0o640


def test_a_failed_request_is_answered_and_the_agent_keeps_serving(
    agent: HostAgent, tmp_path: Path
) -> None:
    with pytest.raises(SshFailed, match=r"local: FileNotFoundError: .*no-such\.sock"):
        agent.ask(str(tmp_path / "no-such.sock"), "show info\n", 5)
    session = agent._process
    (tmp_path / "file").write_text("")
    with pytest.raises(SshFailed, match=r"local: .*Error: .*file/sub"):
        agent.install(str(tmp_path / "file" / "sub" / "haproxy.cfg"), "x", 5)
    agent.ping(5)
    assert agent._process is session and session is not None and session.poll() is None


def test_the_program_is_valid_python_with_one_atomic_write() -> None:
    text = program()
    compile(text, "<agent program>", "exec")  # also rejects a `from __future__` not first
    defined = [
        node.name
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef) and node.name == "atomic_write"
    ]
    assert defined == ["atomic_write"]


def test_the_agent_defines_no_name_the_host_helpers_define() -> None:
    # Both run in one namespace: a name defined twice would replace the helpers' own.
    def top_level_names(path: Path) -> set[str]:
        names = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        return names

    assert top_level_names(AGENT_SOURCE) & top_level_names(HOST_HELPERS) == set()


def test_the_program_is_the_host_helpers_then_the_agent() -> None:
    assert program().startswith(HOST_HELPERS.read_text())
    assert program().endswith(AGENT_SOURCE.read_text())
