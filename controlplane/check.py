"""Prove rendered files with the real `haproxy -c` and `keepalived -t`.

The files are the caller's text, so each binary runs in the sandbox (sandbox.py) and
what goes back is reduced to host, file, line and the tool's reason, one bounded line
each, with this process's secrets masked.

What only an LB host can know is left to the host-side check of a deploy:
- every TLS certificate and CA file is replaced, in the private copy, by a throwaway
  self-signed one (a file on this machine is not the caller's to read), so the rest of
  the file is still proven;
- a server given by DNS name may fail to resolve here (the sandbox has no network);
- keepalived runs in a fresh network namespace holding the interfaces the file names,
  so the check does not depend on this machine's interfaces.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import CheckFailed, ToolMissing
from .render import HAPROXY_FILE, KEEPALIVED_FILE, AttachedFile, Rendered
from .rendered_config import HaproxyConfig, read_haproxy_cfg, read_keepalived_conf
from .sandbox import SANDBOX_DIR, require_sandbox, sandboxed

CHECK_TIMEOUT_S = 300
MAX_MESSAGES = 20  # lines of a tool's output that go back to a caller
MAX_MESSAGE_CHARS = 400
# Benign before the first reload on any host: the state file is written by the deploy.
_IGNORED_WARNINGS = (
    re.compile(r"Can't open (global )?server state file"),
    re.compile(r"could not resolve address .*, disabling server"),  # stood in, see below
    # The sandbox has no network, so a resolvers section's UDP socket cannot connect here;
    # every name is still proven (see _tolerate_unresolved_names).
    re.compile(r"resolvers '.*': can't connect socket for nameserver"),
)
_ALERT_LINE = re.compile(r"^\S+\.cfg:(\d+):")
# `[ALERT]    (1234) : config : parsing [/check/haproxy.cfg:19] : reason`
_HAPROXY_MESSAGE = re.compile(
    r"^\[(?P<level>ALERT|WARNING)\]\s*\(\d+\)\s*:\s*(?:config\s*:\s*)?"
    r"(?:(?:parsing )?\[[^\]]*?:(?P<line>\d+)\]\s*:?\s*)?(?P<reason>.*)$"
)
_SUMMARY = re.compile(r"^(Error\(s\) found in configuration file|Fatal errors found)")
_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSW|KEY|CREDENTIAL|DATABASE_URL", re.IGNORECASE)
_STAND_IN = f"{SANDBOX_DIR}/placeholder.pem"
# A vrrp_script's path, unless it is lbctl's own check (curl, present in the sandbox). Hand
# written files quote it or not and align it with several spaces or tabs.
_USER_SCRIPT = re.compile(r'^([ \t]*script[ \t]+"?)(?!/usr/bin/curl[ \t])(/[^"\s]+)', re.MULTILINE)
_SCRIPT_STAND_IN = "/usr/bin/true"
# A quoted config line must not show a user list's password hash or a VRRP password.
_SECRET_ARGUMENT = re.compile(r"^((?:user \S+ password|auth_pass)\s+)\S+")


@dataclass(frozen=True)
class FileCheck:
    host: str
    file: str
    tool: str
    ok: bool
    output: str
    warnings: list[str] = field(default_factory=list)
    substituted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckReport:
    checks: list[FileCheck]

    @property
    def failures(self) -> list[FileCheck]:
        return [c for c in self.checks if not c.ok]

    def raise_for_failures(self) -> None:
        if self.failures:
            first = self.failures[0]
            raise CheckFailed(first.host, first.file, first.tool, first.output)


def require_tools() -> None:
    """Raise ToolMissing unless haproxy, keepalived and the sandbox are installed."""
    require_sandbox()
    for tool in ("haproxy", "keepalived"):
        if _binary(tool) is None:
            raise ToolMissing(
                tool,
                f"Install it (apt-get install {tool}) to prove rendered files, "
                "or pass --skip-binary-check to render without that proof.",
            )


def check_rendered(
    rendered: Rendered, progress: Callable[[str], None] | None = None, workers: int = 4
) -> CheckReport:
    """Return the verdict of the real binaries on every rendered file."""
    require_tools()
    jobs: list[tuple[str, str, str, Mapping[str, AttachedFile]]] = [
        (host.host, name, text, host.attached if name == HAPROXY_FILE else {})
        for host in rendered.hosts
        for name, text in host.files.items()
    ]
    done = 0

    def run(job: tuple[str, str, str, Mapping[str, AttachedFile]]) -> FileCheck:
        nonlocal done
        result = check_file(*job, files_dir=rendered.files_dir)
        done += 1
        if progress:
            verdict = "ok" if result.ok else "FAILED"
            progress(f"checked {done}/{len(jobs)}: {result.host}/{result.file} {verdict}")
        return result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return CheckReport(list(pool.map(run, jobs)))


def check_file(
    host: str,
    name: str,
    text: str,
    attached: Mapping[str, AttachedFile] | None = None,
    files_dir: str = "",
) -> FileCheck:
    """Return the verdict on one file, by the tool its name calls for, in the sandbox.

    `attached` (key under `files_dir` -> file) are the files haproxy.cfg names that travel
    with it: they are proven for real, bound read-only at `files_dir` in the sandbox.
    A file that passes is remembered (see `proven`).
    """
    result = _check_file(host, name, text, attached, files_dir)
    if result.ok:
        key = proof_key(name, text, attached, files_dir)
        with _PROVEN_LOCK:
            _PROVEN[key] = result
            _PROVEN.move_to_end(key)
            while len(_PROVEN) > _PROVEN_MAX:
                _PROVEN.popitem(last=False)
    return result


# The last files that passed, by proof_key: a change to one of them can be proven by its
# changed sections alone (section_proof.py). Only verdicts are kept, never texts.
_PROVEN_MAX = 64
_PROVEN: OrderedDict[str, FileCheck] = OrderedDict()
_PROVEN_LOCK = threading.Lock()


def proven(
    name: str, text: str, attached: Mapping[str, AttachedFile] | None = None, files_dir: str = ""
) -> FileCheck | None:
    """Return the passing verdict this process gave this very file, None when it gave none."""
    with _PROVEN_LOCK:
        return _PROVEN.get(proof_key(name, text, attached, files_dir))


def proof_key(
    name: str, text: str, attached: Mapping[str, AttachedFile] | None, files_dir: str
) -> str:
    """Return the sha256 of everything a verdict depends on: the file, the files that travel
    with it, where they live, and the binary that proves it (path, size, modification)."""
    digest = hashlib.sha256()
    tool = _binary("haproxy" if name == HAPROXY_FILE else "keepalived") or ""
    stat = os.stat(tool) if tool else None
    identity = f"{tool}:{stat.st_size}:{stat.st_mtime_ns}" if stat else "none"
    parts = [identity, name, files_dir, _text_digest(text)]
    for key in sorted(attached or {}):
        item = (attached or {})[key]
        parts += [key, str(item.private), _text_digest(item.text)]
    for part in parts:  # each part prefixed by its length: no two lists hash alike
        data = part.encode()
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _text_digest(text: str) -> str:
    """Return the sha256 of a text; a long one's is kept for the last few (a base file is
    looked up by every plan against it; 100,000 lines take about 10 ms to hash)."""
    return _long_text_digest(text) if len(text) > 1 << 16 else _sha256(text)


@functools.lru_cache(maxsize=8)  # keeps its texts alive: 8 of 4 MB at 50,000 servers
def _long_text_digest(text: str) -> str:
    return _sha256(text)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _check_file(
    host: str,
    name: str,
    text: str,
    attached: Mapping[str, AttachedFile] | None,
    files_dir: str,
) -> FileCheck:
    with tempfile.TemporaryDirectory(prefix="lbctl-check-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o755)  # the sandbox's user may not be this one
        label = f"{host}/{name}"
        if name == HAPROXY_FILE:
            binds = _attached_binds(folder, attached or {}, files_dir)
            real = {f"{files_dir}/{key}" for key in attached or {}}
            text, substituted = _for_local_check(text, folder, real)
            (folder / name).write_text(text)
            return _haproxy_check(host, name, folder, text, label, substituted, binds)
        if name == KEEPALIVED_FILE:
            return _keepalived_check(host, name, folder, text, label)
    raise ValueError(f"no checker for {name}")


def _haproxy_check(
    host: str,
    name: str,
    folder: Path,
    text: str,
    label: str,
    substituted: list[str],
    binds: list[tuple[Path, str]] | None = None,
) -> FileCheck:
    argv = sandboxed(
        [_tool("haproxy"), "-c", "-f", f"{SANDBOX_DIR}/{name}"], folder, binds=binds or []
    )
    proc = _run(argv)
    messages = messages_of_haproxy(proc.stdout + proc.stderr, name, label)
    warnings = [
        line
        for level, line in messages
        if level == "WARNING" and not any(p.search(line) for p in _IGNORED_WARNINGS)
    ]
    alerts = [_with_source_line(line, text) for level, line in messages if level == "ALERT"]
    if proc.returncode == 124 and not alerts:
        alerts = [f"{label}: {proc.stderr.strip()}"]
    elif proc.returncode != 0 and not alerts:
        alerts = [f"{label}: haproxy -c failed (exit {proc.returncode}) without a message"]
    return FileCheck(
        host, name, "haproxy -c", proc.returncode == 0, "\n".join(alerts), warnings, substituted
    )


def _keepalived_check(host: str, name: str, folder: Path, text: str, label: str) -> FileCheck:
    interfaces = list(read_keepalived_conf(text).interfaces)
    text, substituted = _stand_in_scripts(text)
    (folder / name).write_text(text)
    keepalived = [
        _tool("keepalived"),
        "--config-test",
        f"--use-file={SANDBOX_DIR}/{name}",
        "--log-console",
    ]
    proc = _run(_in_private_netns(interfaces, sandboxed(keepalived, folder, own_network=False)))
    lines = messages_of_keepalived(proc.stdout + proc.stderr, name, label)
    if proc.returncode != 0 and not lines:
        lines = [f"{label}: keepalived -t failed (exit {proc.returncode}) without a message"]
    warnings = [ln for ln in lines if "WARNING" in ln]
    return FileCheck(
        host, name, "keepalived -t", proc.returncode == 0, "\n".join(lines), warnings, substituted
    )


def _stand_in_scripts(text: str) -> tuple[str, list[str]]:
    """Return keepalived.conf with each pair's own track script run as a stand-in.

    keepalived -t refuses a vrrp_script whose file it cannot find, and a pair's scripts
    live on the LB hosts, not here; the host-side keepalived -t of a deploy checks them
    (presence and enable_script_security's ownership rules). The stand-in keeps the
    arguments and every line number.
    """
    substituted: list[str] = []

    def stand_in(match: re.Match[str]) -> str:
        substituted.append(match.group(2))
        return match.group(1) + _SCRIPT_STAND_IN

    return _USER_SCRIPT.sub(stand_in, text), substituted


def messages_of_haproxy(output: str, name: str, label: str) -> list[tuple[str, str]]:
    """Return HAProxy's alerts and warnings as (level, 'host/file:line: reason').

    Only what a caller needs goes back: the level, the place and HAProxy's reason, each on
    one bounded line. Notices (where `.notice` would print), process ids, HAProxy's version
    and the summary lines are dropped.
    """
    messages: list[tuple[str, str]] = []
    for raw in output.splitlines():
        if raw.startswith("   | ") and messages:  # a warning's continuation lines
            level, line = messages[-1]
            messages[-1] = (level, f"{line} {raw[5:].strip()}")
            continue
        match = _HAPROXY_MESSAGE.match(raw)
        if match is None or _SUMMARY.search(match.group("reason")):
            continue
        place = label if match.group("line") is None else f"{label}:{match.group('line')}"
        reason = _neutral_paths(match.group("reason"), name, label)
        messages.append((match.group("level"), f"{place}: {reason}"))
    return [(level, scrub(line)) for level, line in messages[:MAX_MESSAGES]]


def messages_of_keepalived(output: str, name: str, label: str) -> list[str]:
    """Return keepalived's messages as bounded lines naming 'host/file', secrets scrubbed."""
    lines = [_neutral_paths(ln.strip(), name, label) for ln in output.splitlines() if ln.strip()]
    return [scrub(line) for line in lines[:MAX_MESSAGES]]


def scrub(line: str) -> str:
    """Return one bounded line with any secret of this process's environment masked.

    The sandbox gives the binaries an empty environment, so nothing should match; this is
    the second wall, for a message that still quotes something it read.
    """
    for value in _environment_secrets():
        line = line.replace(value, "********")
    line = "".join(ch if ch.isprintable() else "?" for ch in line)
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 3] + "..."


def _environment_secrets() -> list[str]:
    names = (n for n in os.environ if n.startswith("LBCTL_") or _SECRET_NAME.search(n))
    return sorted({v for n in names if len(v := os.environ[n]) >= 4}, key=len, reverse=True)


def _neutral_paths(text: str, name: str, label: str) -> str:
    text = text.replace(f"{SANDBOX_DIR}/{name}", label).replace(_STAND_IN, "(stand-in)")
    return text.replace(f"{SANDBOX_DIR}/", "")


def _with_source_line(alert: str, text: str) -> str:
    """Return an alert followed by the config line it points at, when it points at one."""
    match = _ALERT_LINE.search(alert)
    if not match:
        return alert
    lines = text.splitlines()
    number = int(match.group(1))
    if not 0 < number <= len(lines):
        return alert
    line = _SECRET_ARGUMENT.sub(r"\g<1>********", lines[number - 1].strip())
    return f"{alert}\n{scrub(f'    line {number}: {line}')}"


def _in_private_netns(interfaces: list[str], argv: list[str]) -> list[str]:
    """Return argv wrapped to run in a new network namespace holding `interfaces`.

    veth pairs stand in for the host's interfaces (this kernel may lack `dummy`); a user
    namespace makes it work without root too.
    """
    # The peers' names must not be one of the interfaces themselves.
    peers = (f"lbctlchk{i}" for i in itertools.count())
    free = list(itertools.islice((p for p in peers if p not in interfaces), len(interfaces)))
    script = "set -e\n"
    for name, peer in zip(interfaces, free, strict=True):
        # `name NAME`: a bare NAME such as `type` or `a` would be read as a keyword.
        script += f"ip link add name {shlex.quote(name)} type veth peer name {peer}\n"
    script += 'exec "$@"\n'
    return ["unshare", "--net", "--map-root-user", "sh", "-c", script, "sh", *argv]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT_S,
            check=False,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},  # nothing of this process's
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"timed out after {CHECK_TIMEOUT_S}s")


def _attached_binds(
    folder: Path, attached: Mapping[str, AttachedFile], files_dir: str
) -> list[tuple[Path, str]]:
    """Write the attached files under `folder`; return the bind that shows them at files_dir.

    A file holding a private key is created 0600, as the deploy installs it.
    """
    if not attached or not files_dir:
        return []
    root = folder / "attached"
    for key, item in attached.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o755)
        mode = 0o600 if item.private else 0o644
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(item.text)
    root.chmod(0o755)
    return [(root, files_dir)]


def _for_local_check(
    text: str, folder: Path, real: set[str] | None = None
) -> tuple[str, list[str]]:
    """Return a haproxy.cfg this machine can prove, and what stands in for the LB host's.

    Paths in `real` are files that travel with the config, bound at their place: they are
    proven as they are. Every line keeps its number, so haproxy's messages point at the
    caller's lines.
    """
    config = read_haproxy_cfg(text)
    lines = text.split("\n")
    certificates = _stand_in_certificates(config, lines, folder, real or set())
    names = _tolerate_unresolved_names(config, lines) + _stand_in_log_hosts(lines)
    return "\n".join(lines), certificates + names


def _stand_in_certificates(
    config: HaproxyConfig, lines: list[str], folder: Path, real: set[str]
) -> list[str]:
    """Point every crt/ca-file path of `lines` at a throwaway certificate; return the paths.

    v1 certificates (a path on the LB host) live on the LB hosts, and a file on this
    machine is not the caller's to read: the deploy's host-side check proves the real
    ones. Files in `real` travel with the config and are proven for real.
    """
    stood_in = [cert for cert in config.certificates if cert.path not in real]
    # Right to left: a replaced path moves what follows it, never what is still to replace.
    for cert in reversed(stood_in):
        line = lines[cert.line - 1]
        lines[cert.line - 1] = (
            line[: cert.column] + _STAND_IN + line[cert.column + len(cert.path) :]
        )
    if stood_in:
        (folder / Path(_STAND_IN).name).write_bytes(_placeholder_pem())
    return sorted({cert.path for cert in stood_in})


def _tolerate_unresolved_names(config: HaproxyConfig, lines: list[str]) -> list[str]:
    """Let the servers of `lines` given by DNS name fail to resolve here; return the names.

    Names resolve on the LB host (the deploy's host-side check proves them); appending
    to the same line keeps haproxy's line numbers right.
    """
    # A server of a pool with resolvers already says `init-addr last,libc,none` (and a
    # server-template `init-addr last,none`): with no network here HAProxy gives it no
    # address and still proves the whole line, as it would start on a host whose DNS is down.
    names = {
        s.line: s.dns_name
        for part in config.sections
        for s in part.servers
        if s.dns_name and "init-addr" not in s.options
    }
    for number in names:
        line = lines[number - 1]
        comment = _COMMENT.search(line)
        at = comment.start() if comment else len(line)  # before a comment, not inside it
        lines[number - 1] = line[:at] + " init-addr last,libc,none" + line[at:]
    return sorted(set(names.values()))


# A comment after a line's words: ` # text` (HAProxy reads `#` after a blank as one).
_COMMENT = re.compile(r"[ \t]#")
# `log loghost local0`, `log syslog.example.com:514 len 2048 local0`: HAProxy resolves a log
# target's name while it reads the line, and the sandbox has no DNS and no /etc/hosts.
_LOG_HOST = re.compile(
    r"([ \t]*log[ \t]+)((?!global\b|stdout\b|stderr\b)[A-Za-z][A-Za-z0-9_.-]*)(?=[: \t])"
)


def _stand_in_log_hosts(lines: list[str]) -> list[str]:
    """Point log targets given by host name at 127.0.0.1 (same port); return the names.

    Like a server's name, a log target's resolves on the LB host, not here. A 100,000-line
    file is proven on every render: the substring test keeps the regex off server lines.
    """
    names = set()
    for number, line in enumerate(lines):
        match = _LOG_HOST.match(line) if "log" in line else None
        if match is not None:
            names.add(match.group(2))
            lines[number] = match.group(1) + "127.0.0.1" + line[match.end(2) :]
    return sorted(names)


@cache
def _placeholder_pem() -> bytes:
    """Return a throwaway self-signed certificate + key (one per process)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lbctl placeholder")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _binary(tool: str) -> str | None:
    return shutil.which(tool) or next(
        (str(p) for p in (Path("/usr/sbin") / tool, Path("/sbin") / tool) if p.exists()), None
    )


def _tool(tool: str) -> str:
    path = _binary(tool)
    if path is None:
        raise ToolMissing(tool)
    return path
