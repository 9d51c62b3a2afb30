"""Host-side helpers shared by lbctl's Ansible modules: atomic files, pids, the runtime API.

The runtime agent runs this file too: its program is this text followed by
controlplane/runtime/host_agent.py, sent as one `python3 -c` (see that module). So this
file uses only the standard library and keeps `from __future__` first, and the two files
define no name twice (tests/runtime/test_host_agent.py checks all three).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import tempfile
import time


class StepFailed(Exception):
    """A named deploy step failed; `step` is what the control plane reports to the user."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


def atomic_write(path: str, data: bytes, mode: int = 0o640) -> None:
    """Write `path` through a temporary file and a rename: readers see old or new, never half.

    An OSError (a full disk: ENOSPC) names `path`, and leaves `path` as it was.
    """
    folder = os.path.dirname(path) or "."
    temp = None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".lbctl-", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException as exc:
        if temp is not None and os.path.exists(temp):
            os.unlink(temp)
        if isinstance(exc, OSError) and exc.filename is None:
            # write() and fsync() errors name no file: say which one could not be written.
            raise OSError(exc.errno, exc.strerror, path) from exc
        raise


def atomic_copy(source: str, target: str, mode: int = 0o640) -> bool:
    """Copy `source` over `target` atomically; return False when it already held those bytes.

    Leaving an identical file alone lets a rollback succeed on a full disk: the failed
    install never replaced the file, so there is nothing to write back.
    """
    with open(source, "rb") as handle:
        data = handle.read()
    if read_bytes(target) == data:
        return False
    atomic_write(target, data, mode)
    return True


def begin_install(config_path: str, pending_path: str) -> None:
    """Mark `config_path` as about to change without its daemon having loaded it yet.

    The marker holds the file the daemon runs (the live one before the install) and is
    removed by `end_install` once the daemon was proven to run the new file, or was rolled
    back. Left behind by a deploy cut short between install and reload, it tells the next
    deploy's stage step that an identical live file is not what runs: reload it anyway,
    and roll back to the marker's copy. A marker that is already there is kept: its copy
    is still what runs. /run is the right place: after a reboot the daemon runs its file.
    """
    if os.path.exists(pending_path):
        return
    atomic_write(pending_path, read_bytes(config_path) or b"", 0o600)


def end_install(pending_path: str) -> None:
    """Remove the pending-reload marker: the daemon runs what its file says."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(pending_path)


def copy_if_exists(source: str, target: str) -> bool:
    """Copy `source` to `target` keeping its mode; return whether there was a source."""
    if not os.path.exists(source):
        return False
    shutil.copy2(source, target)
    return True


def read_bytes(path: str) -> bytes | None:
    """Return the content of `path`, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def pid_alive(pid_file: str, attempts: int = 5) -> bool:
    """Return whether the pid in `pid_file` is a running process.

    A daemon rewrites its pid file on a reload (truncate, then write): an empty read is
    retried briefly instead of being taken for a stopped daemon.
    """
    for attempt in range(attempts):
        try:
            with open(pid_file) as handle:
                pid = int(handle.read().split()[0])
        except FileNotFoundError:
            return False
        except (OSError, ValueError, IndexError):
            if attempt + 1 < attempts:
                time.sleep(0.1)
            continue
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return False


def runtime_command(sock_path: str, command: str, timeout: float = 2.0) -> str | None:
    """Return HAProxy's answer to one runtime API command, or None when nobody answers."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(sock_path)
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return None
    return b"".join(chunks).decode(errors="replace")


def wait_until(predicate, timeout: float, interval: float = 0.1):
    """Return the first truthy value of `predicate()` within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


# --- Attached files: certificates, CA bundles, CRLs, maps, error pages ----------------------
#
# The files a config needs live in one version folder per content, beside files_dir:
# files_dir (/etc/haproxy/lbctl) is a symlink to <files_dir>.versions/<digest>. A new set
# is written into its own folder first, so nothing HAProxy reads changes until the install,
# and the install is one rename of the symlink next to the rename of haproxy.cfg: the two
# are "installed atomically, rolled back together" because a rollback points the symlink
# back at the folder it named before, which is kept until the deploy has succeeded.

# Where a file's key (its path under files_dir) says which runtime API command replaces it.
RUNTIME_KINDS = {"certs/": "cert", "ca/": "ca-file", "crl/": "crl-file", "maps/": "map"}
# HAProxy refuses a CLI command longer than its buffer (tune.bufsize, 16384 bytes by
# default): a payload larger than this goes by reload instead.
RUNTIME_PAYLOAD_LIMIT = 15000


class FilesRefused(Exception):
    """files_dir cannot be managed (a folder lbctl did not create, or a bad key)."""


def runtime_kind(key: str) -> str | None:
    """Return the runtime API kind that can replace the file `key` without a reload."""
    if key.endswith(".crt-list"):
        return None  # which certificates a frontend offers: only a reload changes it
    for prefix, kind in RUNTIME_KINDS.items():
        if key.startswith(prefix):
            return kind
    return None  # error pages are read at start only


def versions_dir(files_dir: str) -> str:
    return files_dir.rstrip("/") + ".versions"


def files_digest(files: dict[str, bytes]) -> str:
    """Return the name of the version folder holding exactly `files` (key -> bytes)."""
    digest = hashlib.sha256()
    for key in sorted(files):
        digest.update(key.encode() + b"\0" + hashlib.sha256(files[key]).digest())
    return digest.hexdigest()[:20]


def live_version(files_dir: str) -> str | None:
    """Return the version folder files_dir points at, None when there is no files_dir."""
    if os.path.islink(files_dir):
        return os.path.basename(os.readlink(files_dir).rstrip("/"))
    if os.path.exists(files_dir):
        raise FilesRefused(
            f"{files_dir} is a folder lbctl did not create: move it away or choose another "
            "settings.files_dir (lbctl manages it as a symlink and removes what it no longer uses)"
        )
    return None


def read_tree(folder: str) -> dict[str, bytes]:
    """Return key (path relative to `folder`) -> content of every file under it."""
    found: dict[str, bytes] = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, folder)] = handle.read()
    return found


def _safe_key(key: str) -> str:
    parts = key.split("/")
    if key.startswith("/") or not key or any(p in ("", ".", "..") for p in parts):
        raise FilesRefused(f"attached file key {key!r} is not a plain relative path")
    return key


def octal_mode(value: object) -> int:
    """Return a file mode from an inventory value: "0640" (text, octal) or 416 (YAML's 0640)."""
    return value if isinstance(value, int) else int(str(value), 8)


def _owner_ids(owner: str, group: str) -> tuple[int, int]:
    import grp
    import pwd

    try:
        return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError as exc:
        raise FilesRefused(f"no such user or group on the host: {exc}") from None


def build_version(
    files_dir: str,
    files: dict[str, bytes],
    private: set[str],
    perms: dict | None = None,
) -> str:
    """Write `files` into their version folder (unless it holds them already); return its name.

    `perms`: owner, group, dir_mode, file_mode, key_mode (private keys: `private` keys).
    The folder is written under a temporary name and renamed: it is complete or absent.
    """
    perms = perms or {}
    uid, gid = _owner_ids(perms.get("owner", "root"), perms.get("group", "root"))
    dir_mode = int(perms.get("dir_mode", 0o750))
    name = files_digest(files)
    base = versions_dir(files_dir)
    target = os.path.join(base, name)
    if os.path.isdir(target) and read_tree(target) == files:
        # Same contents: owner and modes as the inventory says now (it may have changed).
        for root, dirs, names in os.walk(target):
            for entry in dirs:
                os.chmod(os.path.join(root, entry), dir_mode)
                os.chown(os.path.join(root, entry), uid, gid)
            for entry in names:
                key = os.path.relpath(os.path.join(root, entry), target)
                mode = int(perms.get("key_mode" if key in private else "file_mode", 0o640))
                os.chmod(os.path.join(root, entry), mode)
                os.chown(os.path.join(root, entry), uid, gid)
        os.chmod(target, dir_mode)
        os.chown(target, uid, gid)
        return name
    os.makedirs(base, mode=0o750, exist_ok=True)
    temp = tempfile.mkdtemp(prefix=".new-", dir=base)
    try:
        os.chmod(temp, dir_mode)
        os.chown(temp, uid, gid)
        for key, data in files.items():
            path = os.path.join(temp, _safe_key(key))
            folder = os.path.dirname(path)
            if not os.path.isdir(folder):
                os.makedirs(folder)
                _own_tree(temp, folder, uid, gid, dir_mode)
            mode = int(perms.get("key_mode" if key in private else "file_mode", 0o640))
            atomic_write(path, data, mode)
            os.chown(path, uid, gid)
        if os.path.isdir(target):  # a damaged copy: replaced whole
            shutil.rmtree(target)
        os.rename(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return name


def _own_tree(top: str, folder: str, uid: int, gid: int, mode: int) -> None:
    while os.path.abspath(folder) != os.path.abspath(top):
        os.chmod(folder, mode)
        os.chown(folder, uid, gid)
        folder = os.path.dirname(folder)


def point_files_dir(files_dir: str, version: str | None) -> None:
    """Make files_dir name `version` (None: remove the symlink) with one atomic rename."""
    if version is None:
        if os.path.islink(files_dir):
            os.unlink(files_dir)
        return
    link = files_dir.rstrip("/") + ".lbctl-new"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(link)
    # Relative: the link stays right wherever the folder is mounted.
    os.symlink(os.path.join(os.path.basename(versions_dir(files_dir)), version), link)
    os.replace(link, files_dir.rstrip("/"))


def prune_versions(files_dir: str, keep: str | None) -> list[str]:
    """Remove every version folder but `keep` (what runs now); return the removed names."""
    base = versions_dir(files_dir)
    removed = []
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        if name != keep:
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
            removed.append(name)
    return removed


def changed_keys(old: dict[str, bytes], new: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """Return (keys whose content changed, keys added or removed)."""
    changed = sorted(k for k in new if k in old and old[k] != new[k])
    moved = sorted(set(old) ^ set(new))
    return changed, moved


def runtime_rotatable(
    old: dict[str, bytes], new: dict[str, bytes], sock: str = "", files_dir: str = ""
) -> bool:
    """Return whether the runtime API can replace `old` by `new` (same keys, known kinds).

    With `sock`, a changed map must also be one HAProxy holds as a map (`show map`; a file
    read only by an `acl -f` is not) and give every key a value (`add map` refuses a key
    alone): else only a reload applies it.
    """
    changed, moved = changed_keys(old, new)
    if not changed or moved or not all(runtime_kind(k) for k in changed):
        return False
    if any(len(new[k]) > RUNTIME_PAYLOAD_LIMIT for k in changed if runtime_kind(k) != "map"):
        return False
    maps = [k for k in changed if runtime_kind(k) == "map"]
    if maps and sock:
        shown = runtime_command(sock, "show map") or ""
        for key in maps:
            lines = _payload_lines("map", new[key])
            if f"({os.path.join(files_dir, key)})" not in shown or any(
                len(line.split(None, 1)) < 2 for line in lines
            ):
                return False
    return True


def _payload_lines(kind: str, data: bytes) -> list[str]:
    """Return the file's lines as a CLI payload: an empty line would end it early."""
    lines = [line.rstrip() for line in data.decode().splitlines()]
    if kind == "map":  # comments and blank lines mean nothing in a map file
        return [
            line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
        ]
    return [line for line in lines if line]


def leaf_sha1(pem: bytes) -> str:
    """Return the SHA-1 fingerprint of the first certificate in `pem`, as `show ssl cert` does."""
    import ssl

    text = pem.decode(errors="replace")
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    start = text.find(begin)
    stop = text.find(end, start)
    if start < 0 or stop < 0:
        return ""
    der = ssl.PEM_cert_to_DER_cert(text[start : stop + len(end)] + "\n")
    return hashlib.sha1(der).hexdigest().upper()  # the fingerprint HAProxy prints


def _ask(sock: str, command: str) -> str:
    answer = runtime_command(sock, command, timeout=10.0)
    if answer is None:
        raise StepFailed("runtime: files", f"the runtime API at {sock} did not answer")
    return answer.strip()


def _expect(answer: str, wanted: str, what: str) -> None:
    if wanted not in answer:
        raise StepFailed("runtime: files", f"{what}: {answer[:300] or 'no answer'}")


def rotate_file(sock: str, path: str, kind: str, data: bytes) -> str:
    """Replace the content HAProxy holds for `path` through the runtime API; return a proof.

    Certificates, CA files and CRL files go in one transaction each (set, then commit); a
    map is filled in a new version and committed at once, so no request sees it half done.
    """
    lines = _payload_lines(kind, data)
    if kind in ("cert", "ca-file", "crl-file"):
        payload = "\n".join(lines)
        answer = _ask(sock, f"set ssl {kind} {path} <<\n{payload}\n")
        if (
            "transaction" not in answer.lower()
        ):  # "Transaction created for ...", "transaction created for CA ..."
            _ask(sock, f"abort ssl {kind} {path}")
            raise StepFailed("runtime: files", f"set ssl {kind} {path}: {answer[:300]}")
        _expect(_ask(sock, f"commit ssl {kind} {path}"), "Success", f"commit ssl {kind} {path}")
        if kind != "cert":
            return "committed"
        shown = _ask(sock, f"show ssl cert {path}")
        wanted = leaf_sha1(data)
        if wanted and f"SHA1 FingerPrint: {wanted}" not in shown:
            raise StepFailed("verify: the new certificate is served", f"{path}: {shown[:300]}")
        return wanted
    if kind == "map":
        prepared = _ask(sock, f"prepare map {path}")
        _expect(prepared, "New version created:", f"prepare map {path}")
        version = prepared.rsplit(":", 1)[1].strip()
        chunk: list[str] = []
        size = 0
        for line in [*lines, None]:
            if line is None or size + len(line) + 1 > RUNTIME_PAYLOAD_LIMIT:
                if chunk:
                    body = "\n".join(chunk)
                    answer = _ask(sock, f"add map @{version} {path} <<\n{body}\n")
                    if answer:
                        raise StepFailed("runtime: files", f"add map {path}: {answer[:300]}")
                chunk, size = [], 0
            if line is not None:
                chunk.append(line)
                size += len(line) + 1
        answer = _ask(sock, f"commit map @{version} {path}")
        if answer:
            raise StepFailed("runtime: files", f"commit map {path}: {answer[:300]}")
        return f"map version {version}"
    raise StepFailed("runtime: files", f"{path}: no runtime command replaces a {kind} file")


def rotate_files(sock: str, files_dir: str, old: dict[str, bytes], new: dict[str, bytes]) -> dict:
    """Apply the content changes from `old` to `new` through the runtime API; return proofs."""
    changed, _moved = changed_keys(old, new)
    proofs = {}
    for key in changed:
        kind = runtime_kind(key)
        if kind is None:
            raise StepFailed("runtime: files", f"{key}: only a reload can replace it")
        proofs[key] = rotate_file(sock, os.path.join(files_dir, key), kind, new[key])
    return proofs


def worker_of(sock: str) -> str | None:
    """Return the pid of the HAProxy worker answering the runtime API, or None."""
    for line in (runtime_command(sock, "show info") or "").splitlines():
        if line.startswith("Pid:"):
            return line.split(":", 1)[1].strip()
    return None


def rotate_in_place(
    sock: str,
    files_dir: str,
    updates: dict[str, bytes],
    private: set[str],
    perms: dict,
    pending: str = "",
) -> dict:
    """Replace deployed files' contents on a running HAProxy without a reload; return proofs.

    The runtime agent's way (no Ansible run): `updates` (key -> new content) must name
    files the last deploy shipped, of kinds the runtime API replaces. A new version folder
    holds the result, HAProxy gets the contents through the runtime API, files_dir then
    names the folder (a later reload loads the same), and the same worker must still
    answer. `pending` is the deploy's marker path: a cut-short rotation makes the next
    deploy reload.
    """
    if live_version(files_dir) is None:
        raise StepFailed("runtime: files", f"{files_dir} holds no deployed files: deploy first")
    old = read_tree(files_dir)
    unknown = sorted(set(updates) - set(old))
    if unknown:
        raise StepFailed("runtime: files", f"not deployed yet (needs a deploy): {unknown}")
    new = {**old, **updates}
    if new == old:
        return {"changed": False, "worker": worker_of(sock), "served": {}}
    if not runtime_rotatable(old, new, sock, files_dir):
        raise StepFailed("runtime: files", "only a reload can apply these files")
    key_mode = int(perms.get("key_mode", 0o600))
    was_private = {
        key for key in old if os.stat(os.path.join(files_dir, key)).st_mode & 0o777 == key_mode
    }
    before = worker_of(sock)
    if before is None:
        raise StepFailed("runtime: files", f"HAProxy does not answer at {sock}")
    version = build_version(files_dir, new, was_private | private, perms)
    if pending and not os.path.exists(pending):
        atomic_write(pending, (live_version(files_dir) or "").encode(), 0o600)
    served = rotate_files(sock, files_dir, old, new)
    point_files_dir(files_dir, version)
    after = worker_of(sock)
    if after != before:
        raise StepFailed("verify: no reload", f"worker {before} became {after or 'none'}")
    if pending:
        end_install(pending)
    prune_versions(files_dir, version)
    return {"changed": True, "worker": after, "served": served}


# --- Why HAProxy would not start: what a check can know before the install ------------------
#
# `haproxy -c` passes configs that a real start refuses: a maxconn the process cannot get
# file descriptors for (2.6 enforces `strict-limits`: "Cannot raise FD limit"), an address
# the host does not have. A reload that fails that way leaves the old worker running and
# says nothing on the runtime API, so these are found before the install instead.

# HAProxy needs about two descriptors per connection (client and server side), one per
# listener, and a few of its own (measured: maxconn 20000 asked for 40,033).
FDS_PER_CONNECTION = 2
FDS_OF_ITS_OWN = 33


def _global_maxconn(text: str) -> int | None:
    section = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not raw[:1].isspace():
            section = line.split()[0]
            continue
        words = line.split()
        if section == "global" and words[0] == "maxconn" and len(words) > 1 and words[1].isdigit():
            return int(words[1])
    return None


def _bind_addresses(text: str) -> list[tuple[str, str]]:
    """Return (address, the bind line) of every IPv4 `bind` with a literal address."""
    found = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) > 1 and words[0] == "bind":
            address = words[1].rsplit(":", 1)[0]
            if address.count(".") == 3 and all(p.isdigit() for p in address.split(".")):
                found.append((address, " ".join(words[:2])))
    return found


def fd_hard_limit(pid_file: str = "") -> tuple[int, str]:
    """Return the hard file-descriptor limit a (re)started HAProxy gets, and whose it is.

    A reload re-executes the running master, which keeps its limits: those count. Without
    a running master, a start command's limits are unknown here; this process's are the
    best guess (a systemd unit may set LimitNOFILE).
    """
    import resource

    try:
        with open(pid_file) as handle:
            pid = int(handle.read().split()[0])
        with open(f"/proc/{pid}/limits") as handle:
            for line in handle:
                if line.startswith("Max open files"):
                    field = line.split()[4]
                    if field.isdigit():
                        return int(field), f"the running HAProxy master's (pid {pid})"
    except (OSError, ValueError, IndexError):
        pass
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return (hard if hard != resource.RLIM_INFINITY else 1 << 30), "this session's"


def host_addresses() -> set[str]:
    """Return the IPv4 addresses the host holds (all interfaces)."""
    import subprocess

    try:
        out = subprocess.run(
            ["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {line.split()[3].split("/")[0] for line in out.splitlines() if len(line.split()) > 3}


def start_problems(text: str, pid_file: str = "") -> list[str]:
    """Return why HAProxy would refuse to start this config on this host (empty: none known)."""
    problems = []
    maxconn = _global_maxconn(text)
    binds = _bind_addresses(text)
    if maxconn is not None:
        needed = FDS_PER_CONNECTION * maxconn + len(binds) + FDS_OF_ITS_OWN
        limit, whose = fd_hard_limit(pid_file)
        if needed > limit:
            problems.append(
                f"maxconn {maxconn} needs about {needed} file descriptors, but {whose} hard "
                f"limit is {limit}: lower settings.maxconn to at most "
                f"{max(0, (limit - len(binds) - FDS_OF_ITS_OWN) // FDS_PER_CONNECTION)}, or "
                "raise the limit (LimitNOFILE= in the haproxy unit)"
            )
    try:
        with open("/proc/sys/net/ipv4/ip_nonlocal_bind") as handle:
            nonlocal_bind = handle.read().strip() == "1"
    except OSError:
        nonlocal_bind = True  # not Linux as we know it: do not guess
    if not nonlocal_bind and binds:
        held = host_addresses()
        for address, line in binds:
            if address not in held and address != "0.0.0.0" and not address.startswith("127."):
                problems.append(
                    f"`{line}`: the host does not have {address} and net.ipv4.ip_nonlocal_bind "
                    "is 0, so HAProxy cannot bind it (a VIP on the BACKUP host needs "
                    "ip_nonlocal_bind = 1)"
                )
    return problems


def journal_alerts(unit: str = "haproxy.service", seconds: int = 60) -> list[str]:
    """Return HAProxy's recent ALERT lines from the systemd journal (none without systemd).

    A worker that fails to start during a reload writes why to the master's stderr, which
    systemd keeps in the journal; the runtime API never hears of it.
    """
    import shutil as _shutil
    import subprocess

    if _shutil.which("journalctl") is None or not os.path.isdir("/run/systemd/system"):
        return []
    argv = ["journalctl", "-u", unit, "--since", f"-{seconds}s", "-o", "cat", "--no-pager"]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if "ALERT" in line][-5:]


# $1 the new version folder, $2 files_dir, $3 the staged haproxy.cfg. mount follows the
# files_dir symlink, so the folder it names shows the new files inside this namespace only.
_IN_NAMESPACE = 'mount --bind "$1" "$2" && exec haproxy -c -f "$3"'


def haproxy_check_argv(source: str, files_dir: str, version: str) -> list[str]:
    """Return the command that checks `source` with files_dir showing `version`.

    When the deploy changes the attached files, files_dir still names the ones HAProxy
    runs: the check runs in a private mount namespace where the new version folder is
    bound over files_dir, so haproxy -c reads what the install will put in place.
    """
    if not files_dir or not version or live_version(files_dir) in (None, version):
        return ["haproxy", "-c", "-f", source]
    folder = os.path.join(versions_dir(files_dir), version)
    return ["unshare", "--mount", "--", "sh", "-c", _IN_NAMESPACE, "sh", folder, files_dir, source]


def haproxy_master_pid(pid_file: str) -> int | None:
    """Return the pid of the running HAProxy master `pid_file` names, answering or not.

    A stale pid file can name a reused pid: the process must be haproxy, and in this
    mount namespace (hosts that share a kernel, like the lab's, see each other's pids).
    """
    if not pid_file:
        return None
    try:
        with open(pid_file) as handle:
            pid = int(handle.read().split()[0])
        with open(f"/proc/{pid}/comm") as handle:
            if not handle.read().strip().startswith("haproxy"):
                return None
        same_host = os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")
    except (OSError, ValueError, IndexError):
        return None
    return pid if same_host else None


def haproxy_master_alive(pid_file: str) -> bool:
    """Return whether `pid_file` names a running HAProxy of this host, answering or not."""
    return haproxy_master_pid(pid_file) is not None


def newest_worker(pid_file: str) -> str | None:
    """Return the pid of the master's youngest worker, found without the runtime API.

    A config that declares no admin socket (one an operator wrote, restored by a rollback)
    can only be seen through the process tree: after a reload the old workers linger while
    they finish their connections, so the new one is the child that started last.
    """
    master = haproxy_master_pid(pid_file)
    if master is None:
        return None
    try:
        with open(f"/proc/{master}/task/{master}/children") as handle:
            children = handle.read().split()
    except OSError:
        return None
    started: list[tuple[int, str]] = []
    for child in children:
        try:
            with open(f"/proc/{child}/stat") as handle:
                # Field 22 is the start time; the name before it may hold spaces.
                fields = handle.read().rsplit(")", 1)[1].split()
            started.append((int(fields[19]), child))
        except (OSError, IndexError, ValueError):
            continue
    return max(started)[1] if started else None


def declares_socket(text: str, sock: str) -> bool:
    """Return whether a haproxy.cfg opens the admin socket at path `sock`."""
    for line in text.splitlines():
        words = line.split()
        if words[:2] == ["stats", "socket"] and len(words) > 2:
            path = words[2].removeprefix("unix@")
            if path == sock:
                return True
    return False
