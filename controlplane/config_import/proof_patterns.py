"""The pattern and map files an original's ACLs name, for proving it with `haproxy -c`.

HAProxy opens every `acl NAME FETCH ... -f PATH` while it checks, and the originals are
proven in a sandbox that shows none of the host's files. As proof_files.py does for error
pages, each such path is pointed at PROOF_DIR/<the path without its leading />, where the
file collected from the host is bound -- or an empty one when none was collected (the
import reports the missing file with its line anyway). Only the path changes, so every
line keeps its number.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from .proof_files import PROOF_DIR

# `acl blocked src -f /etc/haproxy/blocked.lst`: each `-f PATH` of an acl line.
_ACL = re.compile(r"^[ \t]*acl[ \t].*$", re.M)
_FILE = re.compile(r"([ \t]-f[ \t]+)([^ \t\n\"'#]+)")


def pattern_files_for_proof(
    text: str, read: Callable[[str], bytes | None]
) -> tuple[str, dict[str, str]]:
    """Return `text` with its ACL files under PROOF_DIR, and those files by key."""
    files: dict[str, str] = {}

    def under_proof_dir(match: re.Match[str]) -> str:
        key = posixpath.normpath("/" + match.group(2)).lstrip("/")
        if not key or key.startswith(".."):
            return match.group(0)
        content = read(match.group(2))
        files[key] = "" if content is None else content.decode("latin-1")
        return f"{match.group(1)}{PROOF_DIR}/{key}"

    def acl_line(match: re.Match[str]) -> str:
        return _FILE.sub(under_proof_dir, match.group(0))

    return _ACL.sub(acl_line, text), files
