"""Attached files on a host: staged as a version folder, checked in place, rotated live.

The Ansible modules run here in-process as on a host, against a real HAProxy 2.6 started
on loopback in a temporary folder (root: the check's private mount namespace needs it).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from controlplane.runtime import HostTarget
from controlplane.runtime.agent import HostAgent
from tests.tls_material import Issued, make_ca, make_leaf

from ..runtime.test_host_agent import LocalChannel
from .host_modules import host_module, lbctl_host

stage_module = host_module("lbctl_stage")
check_module = host_module("lbctl_haproxy_check")
apply_module = host_module("lbctl_haproxy_apply")
prune_module = host_module("lbctl_files_prune")
host = lbctl_host()

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the check's mount namespace needs root")

CA = make_ca()


def _run(module: ModuleType, args: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    out = capsys.readouterr().out
    return json.loads(out) | {"_raw": out}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Host:
    """A folder standing in for an LB host's /etc/haproxy, with HAProxy running from it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files_dir = str(root / "lbctl")
        self.port = _free_port()
        self.socket = str(root / "admin.sock")
        self.cfg = root / "haproxy.cfg"
        self.pid_file = root / "haproxy.pid"

    def config(self) -> str:
        d = self.files_dir
        return (
            "global\n"
            f"  stats socket {self.socket} mode 600 level admin\n"
            "defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n"
            "  timeout connect 1s\n"
            "frontend web\n"
            f"  bind 127.0.0.1:{self.port} ssl crt-list {d}/certs/web.crt-list\n"
            f"  http-request return status 200 content-type text/plain lf-string "
            f'"%[req.hdr(host),map({d}/maps/hosts.map,none)]"\n'
        )

    def stage_args(self, files: dict[str, str], private: list[str]) -> dict[str, Any]:
        return {
            "haproxy_cfg": self.config(),
            "keepalived_names": ["keepalived.conf"],
            "keepalived_contents": ["# none\n"],
            "haproxy_config_path": str(self.cfg),
            "keepalived_config_path": str(self.root / "keepalived.conf"),
            "staging": str(self.root / "staging"),
            "backup": str(self.root / "backup"),
            "hook": "#!/bin/sh\n",
            "hook_path": str(self.root / "hook"),
            "haproxy_pending": str(self.root / "pending-haproxy"),
            "haproxy_socket": self.socket,
            "files_dir": self.files_dir,
            "files_pending": str(self.root / "pending-files"),
            "attached_names": list(files),
            "attached_contents": list(files.values()),
            "attached_private": private,
        }

    def apply_args(self, version: str, runtime: bool) -> dict[str, Any]:
        return {
            "source": str(self.root / "staging" / "haproxy.cfg"),
            "pending": str(self.root / "pending-haproxy"),
            "config_path": str(self.cfg),
            "socket": self.socket,
            "state_file": str(self.root / "server-state"),
            "reload_command": f"kill -USR2 {self.master_pid()}",
            "start_command": "false",
            "monitor_url": "http://127.0.0.1:9/",
            "files_dir": self.files_dir,
            "files_version": version,
            "files_pending": str(self.root / "pending-files"),
            "files_runtime": runtime,
        }

    def master_pid(self) -> int:
        return int(self.pid_file.read_text().split()[0])

    def start(self) -> None:
        subprocess.run(
            ["haproxy", "-W", "-D", "-p", str(self.pid_file), "-f", str(self.cfg)], check=True
        )
        assert host.wait_until(lambda: host.worker_of(self.socket), 5)

    def stop(self) -> None:
        if self.pid_file.exists():
            subprocess.run(["kill", str(self.master_pid())], check=False)

    def served(self, name: str) -> x509.Certificate:
        """Return the certificate HAProxy presents for SNI `name`."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with (
            socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=name) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        assert der is not None
        return x509.load_der_x509_certificate(der)


def files_for(host_: Host, a: Issued, b: Issued, hosts_map: str) -> dict[str, str]:
    d = host_.files_dir
    return {
        "certs/a.pem": a.bundle(),
        "certs/b.pem": b.bundle(),
        "certs/web.crt-list": f"{d}/certs/a.pem\n{d}/certs/b.pem b.example.com\n",
        "maps/hosts.map": hosts_map,
    }


@pytest.fixture
def lb(tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> Iterator:
    """A host that runs a first deploy of two certificates (SNI) and a map."""
    lb_host = Host(tmp_path_factory.mktemp("lb"))
    a, b = make_leaf(CA, "a.example.com"), make_leaf(CA, "b.example.com")
    files = files_for(lb_host, a, b, "a.example.com app-a\n")
    staged = _run(stage_module, lb_host.stage_args(files, ["certs/a.pem", "certs/b.pem"]), capsys)
    assert staged["files_managed"] and staged["files_changed"] and not staged["files_runtime"]
    lb_host.cfg.write_text(lb_host.config())
    lb_host.start()
    try:
        yield lb_host, a, b, files
    finally:
        lb_host.stop()


def test_a_first_stage_writes_a_version_folder_with_keys_0600_and_names_it(lb) -> None:
    lb_host, a, _b, _files = lb
    files_dir = Path(lb_host.files_dir)
    assert files_dir.is_symlink() and os.readlink(files_dir).startswith("lbctl.versions/")
    mode = {
        k: stat.S_IMODE((files_dir / k).stat().st_mode) for k in ("certs/a.pem", "maps/hosts.map")
    }
    assert mode == {"certs/a.pem": 0o600, "maps/hosts.map": 0o640}
    assert stat.S_IMODE(files_dir.resolve().stat().st_mode) == 0o750
    assert lb_host.served("a.example.com").serial_number == a.cert.serial_number


def test_a_changed_certificate_and_map_rotate_without_a_reload_and_roll_back(lb, capsys) -> None:
    lb_host, a, b, _files = lb
    first = os.readlink(lb_host.files_dir)
    worker = host.worker_of(lb_host.socket)
    a2 = make_leaf(CA, "a.example.com")
    files = files_for(lb_host, a2, b, "# comment\n\na.example.com app-a2\n")
    staged = _run(stage_module, lb_host.stage_args(files, ["certs/a.pem", "certs/b.pem"]), capsys)

    assert (staged["haproxy_why"], staged["files_runtime"]) == ("attached files differ", True)
    assert a2.key_pem() not in staged["_raw"]  # no_log: the key never leaves the host
    assert os.readlink(lb_host.files_dir) == first  # nothing live changed yet
    checked = _run(
        check_module,
        {"source": str(lb_host.root / "staging" / "haproxy.cfg"), "files_dir": lb_host.files_dir,
         "files_version": staged["files_version"]},
        capsys,
    )  # fmt: skip
    assert not checked.get("failed"), checked

    applied = _run(apply_module, lb_host.apply_args(staged["files_version"], True), capsys)

    assert applied["path"] == "runtime" and applied["worker_after"] == worker, applied
    assert applied["files_rotated"] == ["certs/a.pem", "maps/hosts.map"]
    assert lb_host.served("a.example.com").serial_number == a2.cert.serial_number
    assert lb_host.served("b.example.com").serial_number == b.cert.serial_number
    answer = host.runtime_command(lb_host.socket, f"show map {lb_host.files_dir}/maps/hosts.map")
    assert "app-a2" in answer and "app-a " not in answer
    assert os.readlink(lb_host.files_dir).endswith(staged["files_version"])

    # A rollback (what deploy.yml's rescue runs) goes back the same way: no reload.
    back = _run(apply_module, lb_host.apply_args(staged["files_live_version"], True), capsys)
    assert back["path"] == "runtime" and host.worker_of(lb_host.socket) == worker
    assert lb_host.served("a.example.com").serial_number == a.cert.serial_number
    assert os.readlink(lb_host.files_dir) == first


def test_after_success_only_the_running_version_is_kept(lb, capsys) -> None:
    lb_host, _a, b, _files = lb
    files = files_for(lb_host, make_leaf(CA, "a.example.com"), b, "a.example.com x\n")
    staged = _run(stage_module, lb_host.stage_args(files, []), capsys)
    _run(apply_module, lb_host.apply_args(staged["files_version"], True), capsys)
    pruned = _run(prune_module, {"files_dir": lb_host.files_dir}, capsys)
    assert pruned["removed"] == [staged["files_live_version"]]
    assert os.listdir(lb_host.files_dir + ".versions") == [staged["files_version"]]


def test_a_new_sni_list_is_not_a_runtime_change(lb, capsys) -> None:
    lb_host, _a, _b, files = lb
    files = {**files, "certs/web.crt-list": files["certs/web.crt-list"] + "# changed\n"}
    staged = _run(stage_module, lb_host.stage_args(files, []), capsys)
    assert staged["files_changed"] and not staged["files_runtime"]


def test_a_certificate_haproxy_refuses_fails_the_check_before_anything_is_live(lb, capsys) -> None:
    lb_host, a, _b, files = lb
    first = os.readlink(lb_host.files_dir)
    mismatched = a.cert_pem() + make_leaf(CA, "a.example.com").key_pem()
    staged = _run(
        stage_module, lb_host.stage_args({**files, "certs/a.pem": mismatched}, []), capsys
    )
    checked = _run(
        check_module,
        {"source": str(lb_host.root / "staging" / "haproxy.cfg"), "files_dir": lb_host.files_dir,
         "files_version": staged["files_version"]},
        capsys,
    )  # fmt: skip
    assert checked["failed"] and "a.pem" in checked["stdout"] + checked["stderr"]
    assert os.readlink(lb_host.files_dir) == first
    assert lb_host.served("a.example.com").serial_number == a.cert.serial_number


def test_the_agent_rotates_a_certificate_in_place_with_proof(lb, tmp_path: Path) -> None:
    lb_host, _a, _b, _files = lb
    worker = host.worker_of(lb_host.socket)
    a3 = make_leaf(CA, "a.example.com")
    agent = HostAgent(LocalChannel(HostTarget(name="local", address="localhost"), tmp_path))
    try:
        answer = agent.rotate(
            lb_host.socket, lb_host.files_dir, {"certs/a.pem": a3.bundle()}, {"certs/a.pem"},
            HostTarget("local", "localhost").files_perms, str(tmp_path / "pending"), 10,
        )  # fmt: skip
        with pytest.raises(Exception, match="not deployed yet"):
            agent.rotate(
                lb_host.socket, lb_host.files_dir, {"certs/new.pem": a3.bundle()}, set(),
                {}, "", 10,
            )  # fmt: skip
    finally:
        agent.close()
    fingerprint = a3.cert.fingerprint(hashes.SHA1()).hex()
    assert answer["changed"] and answer["worker"] == worker
    assert answer["served"] == {"certs/a.pem": fingerprint.upper()}
    assert lb_host.served("a.example.com").serial_number == a3.cert.serial_number
    key_file = Path(lb_host.files_dir) / "certs/a.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and key_file.read_text() == a3.bundle()
    assert not (tmp_path / "pending").exists()


def _mtls_status(port: int, client: Issued, folder: Path) -> str:
    """Return the HTTP status line HAProxy answers a client with `client`'s certificate."""
    pem = folder / f"client-{client.cert.serial_number}.pem"
    pem.write_text(client.cert_pem() + client.key_pem())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.load_cert_chain(str(pem))
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="a.example.com") as tls,
        ):
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return tls.recv(100).decode(errors="replace").split("\r\n")[0] or "closed"
    except (ssl.SSLError, OSError) as exc:
        return f"refused ({type(exc).__name__})"


def test_a_crl_and_a_ca_file_rotate_and_client_verification_follows(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.tls_material import make_crl

    lb_host = Host(tmp_path_factory.mktemp("mtls"))
    clients = make_ca("clients")
    good, revoked = make_leaf(clients, client=True), make_leaf(clients, client=True)
    server = make_leaf(CA, "a.example.com")
    d = lb_host.files_dir
    files = {
        "certs/a.pem": server.bundle(),
        "ca/clients.pem": clients.cert_pem(),
        "crl/clients.pem": make_crl(clients),
    }
    config = (
        "global\n"
        f"  stats socket {lb_host.socket} mode 600 level admin\n"
        "defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n"
        "  timeout connect 1s\n"
        "frontend mtls\n"
        f"  bind 127.0.0.1:{lb_host.port} ssl crt {d}/certs/a.pem verify required "
        f"ca-file {d}/ca/clients.pem crl-file {d}/crl/clients.pem\n"
        "  http-request return status 200\n"
    )
    host.point_files_dir(d, host.build_version(d, {k: v.encode() for k, v in files.items()}, set()))
    lb_host.cfg.write_text(config)
    lb_host.start()
    try:
        folder = tmp_path_factory.mktemp("clients")
        assert _mtls_status(lb_host.port, revoked, folder) == "HTTP/1.1 200 OK"
        worker = host.worker_of(lb_host.socket)
        old = host.read_tree(d)

        new = {**old, "crl/clients.pem": make_crl(clients, revoked).encode()}
        proofs = host.rotate_files(lb_host.socket, d, old, new)

        assert proofs == {"crl/clients.pem": "committed"}
        assert _mtls_status(lb_host.port, revoked, folder).startswith("refused")
        assert _mtls_status(lb_host.port, good, folder) == "HTTP/1.1 200 OK"

        other = make_ca("other clients")
        newer = {**new, "ca/clients.pem": other.cert_pem().encode(),
                 "crl/clients.pem": make_crl(other).encode()}  # fmt: skip
        assert host.rotate_files(lb_host.socket, d, new, newer) == {
            "ca/clients.pem": "committed",
            "crl/clients.pem": "committed",
        }
        assert _mtls_status(lb_host.port, good, folder).startswith("refused")
        assert _mtls_status(lb_host.port, make_leaf(other, client=True), folder) == (
            "HTTP/1.1 200 OK"
        )
        assert host.worker_of(lb_host.socket) == worker  # all of it without a reload
    finally:
        lb_host.stop()


def test_new_modes_from_the_inventory_apply_to_unchanged_contents(lb, capsys) -> None:
    lb_host, _a, _b, files = lb
    private = ["certs/a.pem", "certs/b.pem"]
    args = lb_host.stage_args(files, private) | {"files_mode": "0644", "files_key_mode": 0o400}
    staged = _run(stage_module, args, capsys)
    assert not staged["files_changed"]
    files_dir = Path(lb_host.files_dir)
    assert stat.S_IMODE((files_dir / "maps/hosts.map").stat().st_mode) == 0o644
    assert stat.S_IMODE((files_dir / "certs/a.pem").stat().st_mode) == 0o400  # YAML's 0400


def test_a_map_line_without_a_value_is_not_a_runtime_change(lb, capsys) -> None:
    lb_host, _a, _b, files = lb
    staged = _run(
        stage_module, lb_host.stage_args({**files, "maps/hosts.map": "a.example.com\n"}, []), capsys
    )
    assert staged["files_changed"] and not staged["files_runtime"]  # `add map` needs a value
    good = {**files, "maps/hosts.map": "a.example.com app-z\n"}
    assert _run(stage_module, lb_host.stage_args(good, []), capsys)["files_runtime"]


def test_a_file_haproxy_does_not_hold_as_a_map_is_not_rotated_live(lb) -> None:
    lb_host, _a, _b, files = lb
    old = {k: v.encode() for k, v in files.items()} | {"maps/acl-only.map": b"x 1\n"}
    new = old | {"maps/acl-only.map": b"y 1\n"}
    assert host.runtime_rotatable(old, new)  # by kind alone it could
    assert not host.runtime_rotatable(old, new, lb_host.socket, lb_host.files_dir)
