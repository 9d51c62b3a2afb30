"""Run haproxy and keepalived on files a caller sent, holding nothing worth stealing.

A model is the caller's text, and the binaries act on it at parse time: HAProxy expands
`"${VAR}"` from its environment, reads files the config names and prints what it read in
its messages. So the local proof runs each binary under bubblewrap with:

- an empty environment (PATH and a locale only): no LBCTL_* value, no credential;
- a filesystem of its own: the system's programs and libraries read-only (/usr/bin,
  /usr/sbin, /usr/lib, /usr/lib64), the public CA certificates, the account databases
  keepalived's `script_user` needs (/etc/passwd, /etc/group), a private /proc, /dev and /tmp,
  a stand-in /etc/resolv.conf (`parse-resolv-conf` needs one to read; the host-side check of
  a deploy reads the host's own), and the folder holding the file to prove, read-only at
  /check. The store, the instance
  folder, the secret key and everyone's home are not there to read;
- new user, PID, IPC, UTS and network namespaces: no network, no other process to see;
- limits on memory (2 GiB of address space), CPU (60 s), file size (16 MiB), no core files,
  and the caller's wall-clock timeout.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from .errors import ToolMissing
from .paths import resolv_conf_stand_in

SANDBOX_DIR = "/check"  # where the folder being proven appears inside the sandbox
MEMORY_LIMIT_BYTES = 2 * 2**30  # haproxy -c of 50,000 servers peaks at ~270 MB
CPU_LIMIT_S = 60
FILE_SIZE_LIMIT_BYTES = 16 * 2**20
_READ_ONLY = (
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/lib64",
    "/etc/ssl/certs",
    "/usr/share/ca-certificates",  # where /etc/ssl/certs links point
    "/usr/local/share/ca-certificates",
)
_ACCOUNTS = ("/etc/passwd", "/etc/group", "/etc/nsswitch.conf")
_TOP_LEVEL = ("/bin", "/sbin", "/lib", "/lib64")  # symlinks into /usr on merged-/usr systems


def require_sandbox() -> None:
    """Raise ToolMissing unless bubblewrap and prlimit are installed."""
    for tool, package in (("bwrap", "bubblewrap"), ("prlimit", "util-linux")):
        if shutil.which(tool) is None:
            raise ToolMissing(
                tool,
                f"Install it (apt-get install {package}): lbctl proves files only inside "
                "a sandbox, or pass --skip-binary-check to render without that proof.",
            )


def sandboxed(
    argv: list[str],
    folder: Path,
    *,
    own_network: bool = True,
    binds: Sequence[tuple[Path, str]] = (),
) -> list[str]:
    """Return argv wrapped to run in the sandbox, with `folder` read-only at /check.

    own_network=False keeps the caller's network namespace: for a caller that already
    made a private one (the keepalived check makes one holding the file's interfaces).
    `binds` puts more of the caller's folders read-only at the absolute paths a config
    names (the files that travel with haproxy.cfg, at settings.files_dir).
    """
    require_sandbox()
    bwrap = [
        "bwrap",
        "--die-with-parent",
        "--new-session",
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        *(["--unshare-net"] if own_network else []),
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/sbin:/usr/bin",
        "--setenv",
        "LC_ALL",
        "C",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--dir",
        "/run",
        "--cap-drop",
        "ALL",
    ]
    for path in (*_READ_ONLY, *_ACCOUNTS):
        bwrap += ["--ro-bind-try", path, path]
    # HAProxy refuses an empty resolv.conf as one it could not open: the stand-in names
    # loopback.
    bwrap += ["--ro-bind", str(resolv_conf_stand_in()), "/etc/resolv.conf"]
    for path in _TOP_LEVEL:
        if os.path.islink(path):
            bwrap += ["--symlink", os.readlink(path), path]
        else:
            bwrap += ["--ro-bind-try", path, path]
    program = argv[0]
    if os.path.isabs(program) and not program.startswith(tuple(f"{d}/" for d in _READ_ONLY)):
        bwrap += ["--ro-bind", program, program]  # e.g. a build in /usr/local/sbin
    bwrap += ["--ro-bind", str(folder), SANDBOX_DIR, "--chdir", SANDBOX_DIR]
    for source, target in binds:
        bwrap += ["--ro-bind", str(source), target]
    limits = [
        "prlimit",
        f"--as={MEMORY_LIMIT_BYTES}",
        f"--cpu={CPU_LIMIT_S}",
        f"--fsize={FILE_SIZE_LIMIT_BYTES}",
        "--core=0",
        "--",
    ]
    return [*bwrap, "--", *limits, *argv]
