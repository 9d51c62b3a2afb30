"""Process settings of an original that only its own host honours, for proving it.

Left out of the copy `haproxy -c` proves (commented, so every line keeps its number):
`quiet`, which silences haproxy's own message about what fails (legacy configs have it);
`zero-warning`, which fails on what only the sandboxed copy warns of (a stand-in, a
server-state file not written yet); and a `user`/`group` this machine does not have (an
OpenBSD host's `_haproxy`), which HAProxy looks up while it checks; and a `program`
section (a command the master process runs, such as the Data Plane API), which HAProxy
loads only in master-worker mode, the mode Debian's unit starts it in (`-Ws`). The import
drops a `program` section and reports it.
"""

from __future__ import annotations

import grp
import pwd
import re

_SILENCING = re.compile(r"^([ \t]*(?:quiet|zero-warning)[ \t]*(?:#.*)?)$", re.M)
_ACCOUNT = re.compile(r"^([ \t]*(user|group)[ \t]+([A-Za-z0-9_.-]+)[ \t]*(?:#.*)?)$", re.M)


_SECTION = re.compile(
    r"[ \t]*(global|defaults|frontend|backend|listen|userlist|peers|resolvers|mailers|program"
    r"|http-errors|ring|cache|log-forward|fcgi-app)\b"
)


def process_settings_for_proof(text: str) -> str:
    """Return `text` with the lines above commented out."""
    text = _SILENCING.sub(r"#\1", text)
    text = _ACCOUNT.sub(
        lambda m: m.group(1) if _known(m.group(2), m.group(3)) else "#" + m.group(1), text
    )
    return _without_programs(text)


def _without_programs(text: str) -> str:
    lines = text.split("\n")
    in_program = False
    for i, line in enumerate(lines):
        section = _SECTION.match(line)
        if section:
            in_program = section.group(1) == "program"
        if in_program and line.strip():
            lines[i] = "#" + line
    return "\n".join(lines)


def _known(kind: str, name: str) -> bool:
    try:
        (pwd.getpwnam if kind == "user" else grp.getgrnam)(name)
    except KeyError:
        return False
    return True
