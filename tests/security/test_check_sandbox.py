"""The local proof runs the binaries with nothing worth stealing (controlplane/sandbox.py).

These call the checker directly with text the model would refuse, so they prove the
sandbox itself: the second wall behind the `extra` policy.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from controlplane.check import MAX_MESSAGE_CHARS, check_file
from controlplane.sandbox import sandboxed
from tests.support import needs_binaries

pytestmark = needs_binaries

SECRET = "s3cr3t-value-that-must-never-leave"
HEADER = "global\n    log stdout local0\ndefaults\n    mode http\n    timeout client 1s\n"


def _haproxy(text: str) -> str:
    result = check_file("lb1", "haproxy.cfg", HEADER + text)
    return result.output + "\n".join(result.warnings)


def test_the_binaries_see_none_of_the_environment(monkeypatch):
    monkeypatch.setenv("LBCTL_SECRET_KEY", SECRET)
    monkeypatch.setenv("UNRELATED", SECRET + "-2")
    output = _haproxy('    .alert "${LBCTL_SECRET_KEY}|${UNRELATED}|${HOME}"\n')
    assert SECRET not in output
    assert "/root" not in output


def test_a_file_of_the_control_plane_is_not_there_to_read(tmp_path: Path):
    secret_file = tmp_path / "secret.http"
    secret_file.write_text(f"HTTP/1.0 503 x\r\n\r\n{SECRET}\n")
    secret_file.chmod(0o644)
    result = check_file("lb1", "haproxy.cfg", HEADER + f"    errorfile 503 {secret_file}\n")
    assert not result.ok
    assert SECRET not in result.output
    assert "lb1/haproxy.cfg:6: errorfile : error opening file" in result.output


def test_lua_named_by_a_caller_never_runs(tmp_path: Path):
    marker = tmp_path / "ran"
    script = tmp_path / "evil.lua"
    script.write_text(f'io.open("{marker}", "w"):write("ran")\n')
    script.chmod(0o644)
    result = check_file("lb1", "haproxy.cfg", f"global\n    lua-load {script}\n")
    assert not marker.exists()
    assert not result.ok


def test_the_sandbox_has_no_network_no_secret_folders_and_limits(tmp_path: Path):
    probe = (
        "ip -o link | cut -d: -f2; ls /root /var/lib /home /work 2>&1 | wc -l; "
        "ulimit -v; ulimit -t; cat /proc/self/environ | tr '\\0' ' '"
    )
    proc = subprocess.run(
        sandboxed(["/bin/sh", "-c", probe], tmp_path), capture_output=True, text=True
    )
    lines = proc.stdout.split("\n")
    assert lines[0].strip() == "lo"  # no interface but loopback
    assert lines[2] == str(2 * 2**30 // 1024)  # 2 GiB of address space, in KiB
    assert lines[3] == "60"  # CPU seconds
    assert "LBCTL" not in proc.stdout and "HOME" not in proc.stdout


@pytest.mark.parametrize(
    "text",
    [
        '    .notice "anything"\n',
        "    no-such-keyword " + "x" * 5000 + "\n",
    ],
    ids=["notice", "long-line"],
)
def test_messages_are_reduced_to_place_and_reason(text: str):
    result = check_file("lb1", "haproxy.cfg", HEADER + text)
    lines = (result.output + "\n" + "\n".join(result.warnings)).strip().splitlines()
    assert all(len(line) <= MAX_MESSAGE_CHARS for line in lines)
    assert not any("[NOTICE]" in line or "[ALERT]" in line for line in lines)
    assert "anything" not in result.output  # a .notice prints nothing back
