"""LB hosts: a network namespace plus a private mount (and UTS) namespace held by sshd.

Each host's /etc/haproxy, /etc/keepalived, /var/lib/haproxy, /var/lib/lbctl (lbctl's staging
and backups) and /run are bind mounts of its own directory under LABDIR/hosts/NAME, so deploys
over SSH see a host of their own. sshd is the first process in those namespaces;
``nsenter -t <sshd pid>`` joins them from outside.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import daemon_scripts
from .errors import LabCommandError
from .process import ProcessRef, spawn_daemon
from .topology import NodePlan

# Host directory -> the system path it replaces inside the host.
PRIVATE_MOUNTS = (
    ("etc-haproxy", "/etc/haproxy"),
    ("etc-keepalived", "/etc/keepalived"),
    ("var-lib-haproxy", "/var/lib/haproxy"),
    ("var-lib-lbctl", "/var/lib/lbctl"),  # shared, hosts deploying at once would collide
    ("run", "/run"),
)

# What a fresh Debian host with the haproxy package runs: an admin socket and no proxies.
# (Debian's logging to /dev/log and its errorfile lines are left out: the lab has no syslog.)
DEFAULT_HAPROXY_CFG = """\
# Fresh-host default written by the lbctl lab; a deploy replaces this file.
global
    chroot /var/lib/haproxy
    stats socket /run/haproxy/admin.sock mode 660 level admin
    stats timeout 30s
    user haproxy
    group haproxy
    daemon

defaults
    mode http
    timeout connect 5s
    timeout client 50s
    timeout server 50s
"""

SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"


@dataclass(frozen=True)
class HostPaths:
    """Where one LB host's private files live on the root filesystem."""

    root: Path

    def private(self, name: str) -> Path:
        return self.root / name

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def ssh(self) -> Path:
        return self.root / "ssh"

    @property
    def log(self) -> Path:
        return self.root / "log"

    @property
    def sshd_config(self) -> Path:
        return self.ssh / "sshd_config"

    @property
    def host_key(self) -> Path:
        return self.ssh / "ssh_host_ed25519_key"

    @property
    def sshd_pid_file(self) -> Path:
        # Outside the private /run on purpose: the root namespace reads it.
        return self.root / "sshd.pid"

    @property
    def haproxy_pid_file(self) -> Path:
        return self.private("run") / "haproxy.pid"

    @property
    def keepalived_pid_file(self) -> Path:
        return self.private("run") / "keepalived" / "keepalived.pid"

    def script(self, name: str) -> Path:
        return self.bin / name


def generate_key(path: Path, comment: str) -> None:
    """Create an ed25519 key pair at ``path`` (and ``path``.pub) without a passphrase."""
    path.unlink(missing_ok=True)
    path.with_suffix(".pub").unlink(missing_ok=True)
    argv = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LabCommandError(argv, done.returncode, done.stdout, done.stderr)


def sshd_config(node: NodePlan, paths: HostPaths, authorized_key: Path) -> str:
    """Return the sshd_config for ``node``: root by key only, listening on its lab address."""
    return "\n".join(
        [
            f"# Written by the lbctl lab for {node.name}.",
            f"ListenAddress {node.address}",
            "Port 22",
            f"HostKey {paths.host_key}",
            # -D keeps sshd in the foreground; the lab knows its pid from the start shim.
            "PidFile none",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            f"AuthorizedKeysFile {authorized_key}",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            # The lab directory lives in /tmp; sshd's owner/mode checks would reject it.
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            # Ansible opens several connections per host at once.
            "MaxStartups 100:30:200",
            "MaxSessions 50",
            f"Subsystem sftp {SFTP_SERVER}",
            "",
        ]
    )


def prepare_host(host_dir: Path, node: NodePlan, authorized_key: Path) -> HostPaths:
    """Create ``node``'s directory: private mounts, default configs, SSH host key, scripts."""
    paths = HostPaths(host_dir)
    if host_dir.exists():
        shutil.rmtree(host_dir)
    for name, _ in PRIVATE_MOUNTS:
        paths.private(name).mkdir(parents=True)
    # Binding over /run hides the real /run/sshd (sshd's privilege separation directory).
    (paths.private("run") / "sshd").mkdir(mode=0o755)
    (paths.private("run") / "haproxy").mkdir()
    for directory in (paths.bin, paths.ssh, paths.log):
        directory.mkdir()
    (paths.private("etc-haproxy") / "haproxy.cfg").write_text(DEFAULT_HAPROXY_CFG)
    if Path("/etc/haproxy/errors").is_dir():
        shutil.copytree("/etc/haproxy/errors", paths.private("etc-haproxy") / "errors")
    generate_key(paths.host_key, f"lbctl-lab-{node.name}")
    paths.sshd_config.write_text(sshd_config(node, paths, authorized_key))
    keepalived_log = paths.log / "keepalived.log"
    for name, text in daemon_scripts.scripts(node.name, keepalived_log).items():
        paths.script(name).write_text(text)
        paths.script(name).chmod(0o755)
    return paths


def start_sshd(node: NodePlan, paths: HostPaths) -> ProcessRef:
    """Start sshd as the first process of ``node``'s private mount namespace; return it."""
    mounts = [
        f"mkdir -p {dst} && mount --bind {shlex.quote(str(paths.private(src)))} {dst}"
        for src, dst in PRIVATE_MOUNTS
    ]
    script = " && ".join(
        [
            *mounts,
            f"hostname {node.name}",
            f"exec {SSHD} -D -e -f {shlex.quote(str(paths.sshd_config))}",
        ]
    )
    argv = [
        "ip",
        "netns",
        "exec",
        node.namespace,
        "unshare",
        "--mount",
        "--uts",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        script,
    ]
    return spawn_daemon(argv, f"sshd:{node.name}", paths.sshd_pid_file, paths.log / "sshd.log")


def nsenter_argv(sshd_pid: int, argv: list[str]) -> list[str]:
    """Return ``argv`` wrapped to run in the mount, network and UTS namespaces of a host."""
    return ["nsenter", "-t", str(sshd_pid), "-m", "-n", "-u", "--", *argv]
