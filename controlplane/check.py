"""Prove rendered files with the real `haproxy -c` and `keepalived -t`.

What only an LB host can know is left to the host-side check of a deploy:
- a TLS certificate (or CA file) that does not exist here is replaced, in a private
  copy, by a throwaway self-signed one, so the rest of the file is still proven;
- keepalived runs in a fresh network namespace holding the interfaces the file names,
  so the check does not depend on this machine's interfaces.
"""

from __future__ import annotations

import atexit
import itertools
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import CheckFailed, ToolMissing
from .render import HAPROXY_FILE, KEEPALIVED_FILE, Rendered

CHECK_TIMEOUT_S = 300
# Benign before the first reload on any host: the state file is written by the deploy.
_IGNORED_WARNINGS = (
    re.compile(r"Can't open (global )?server state file"),
    re.compile(r"could not resolve address .*, disabling server"),  # stood in, see below
)
_CERT_ARGUMENT = re.compile(r"(?<=\s)(crt|ca-file) (/\S+)")
# A server line whose address is a DNS name (not an IPv4 or [IPv6] literal).
_DNS_SERVER = re.compile(r"^(\s*server \S+ (?![0-9.]+:|\[)([^\s:]+):\d+ .*)$", re.MULTILINE)
_ALERT_LINE = re.compile(r"\.cfg:(\d+)\]")
_INTERFACE = re.compile(r"^\s*interface (\S+)|\sdev (\S+)$", re.MULTILINE)


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
    """Raise ToolMissing unless haproxy and keepalived are installed."""
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
    jobs: list[tuple[str, str, str]] = [
        (host.host, name, text) for host in rendered.hosts for name, text in host.files.items()
    ]
    done = 0

    def run(job: tuple[str, str, str]) -> FileCheck:
        nonlocal done
        result = check_file(*job)
        done += 1
        if progress:
            verdict = "ok" if result.ok else "FAILED"
            progress(f"checked {done}/{len(jobs)}: {result.host}/{result.file} {verdict}")
        return result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return CheckReport(list(pool.map(run, jobs)))


def check_file(host: str, name: str, text: str) -> FileCheck:
    """Return the verdict on one file, by the tool its name calls for."""
    with tempfile.TemporaryDirectory(prefix="lbctl-check-") as tmp:
        path = Path(tmp) / name
        if name == HAPROXY_FILE:
            text, substituted = _substitute_missing_certs(text)
            text, names = _tolerate_unresolved_names(text)
            substituted += names
            path.write_text(text)
            return _haproxy_check(host, name, path, text, substituted)
        if name == KEEPALIVED_FILE:
            path.write_text(text)
            return _keepalived_check(host, name, path, text)
    raise ValueError(f"no checker for {name}")


def _haproxy_check(
    host: str, name: str, path: Path, text: str, substituted: list[str]
) -> FileCheck:
    proc = _run([_tool("haproxy"), "-c", "-f", str(path)])
    output = _relabel(proc.stdout + proc.stderr, path, f"{host}/{name}")
    warnings = [
        line
        for line in output.splitlines()
        if "[WARNING]" in line and not any(p.search(line) for p in _IGNORED_WARNINGS)
    ]
    alerts = "\n".join(
        _with_source_line(line, text) for line in output.splitlines() if "[ALERT]" in line
    )
    return FileCheck(
        host,
        name,
        "haproxy -c",
        proc.returncode == 0,
        alerts or output.strip(),
        warnings,
        substituted,
    )


def _keepalived_check(host: str, name: str, path: Path, text: str) -> FileCheck:
    interfaces = sorted({a or b for a, b in _INTERFACE.findall(text)})
    keepalived = [_tool("keepalived"), "--config-test", f"--use-file={path}", "--log-console"]
    proc = _run(_in_private_netns(interfaces, keepalived))
    output = _relabel(proc.stdout + proc.stderr, path, f"{host}/{name}")
    lines = [ln for ln in output.splitlines() if ln.strip()]
    warnings = [ln for ln in lines if "WARNING" in ln]
    return FileCheck(host, name, "keepalived -t", proc.returncode == 0, "\n".join(lines), warnings)


def _with_source_line(alert: str, text: str) -> str:
    """Return an alert followed by the config line it points at, when it points at one."""
    match = _ALERT_LINE.search(alert)
    if not match:
        return alert
    lines = text.splitlines()
    number = int(match.group(1))
    if not 0 < number <= len(lines):
        return alert
    return f"{alert}\n    line {number}: {lines[number - 1].strip()}"


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
            argv, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"timed out after {CHECK_TIMEOUT_S}s")


def _relabel(output: str, path: Path, label: str) -> str:
    return output.replace(str(path), label)


def _substitute_missing_certs(text: str) -> tuple[str, list[str]]:
    """Return the text with absent crt/ca-file paths swapped for a placeholder, and those."""
    missing: list[str] = []

    def swap(match: re.Match[str]) -> str:
        keyword, target = match.group(1), match.group(2)
        if Path(target).exists():
            return match.group(0)
        missing.append(target)
        return f"{keyword} {_placeholder_pem()}"

    return _CERT_ARGUMENT.sub(swap, text), sorted(set(missing))


def _tolerate_unresolved_names(text: str) -> tuple[str, list[str]]:
    """Return the text letting server DNS names fail to resolve here, and those names.

    Names resolve on the LB host (the deploy's host-side check proves them); appending
    to the same line keeps haproxy's line numbers right.
    """
    names = sorted({m.group(2) for m in _DNS_SERVER.finditer(text)})
    return _DNS_SERVER.sub(r"\1 init-addr last,libc,none", text), names


@cache
def _placeholder_pem() -> str:
    """Return the path of a throwaway self-signed certificate + key (one per process)."""
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
    directory = Path(tempfile.mkdtemp(prefix="lbctl-placeholder-"))
    atexit.register(shutil.rmtree, directory, True)
    pem = directory / "placeholder.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(pem)


def _binary(tool: str) -> str | None:
    return shutil.which(tool) or next(
        (str(p) for p in (Path("/usr/sbin") / tool, Path("/sbin") / tool) if p.exists()), None
    )


def _tool(tool: str) -> str:
    path = _binary(tool)
    if path is None:
        raise ToolMissing(tool)
    return path
