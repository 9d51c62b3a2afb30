"""The pattern and map files an original names, for proving it with `haproxy -c`.

HAProxy opens every pattern file while it checks: an ACL's `-f PATH` (named, or inline in
a condition's braces), a map converter's `map_dom(PATH,default)`, and the file an action
updates (`http-request set-map(PATH) ...`). The originals are proven in a sandbox that
shows none of the host's files. As proof_files.py does for error pages, each such path is
pointed at PROOF_DIR/<the path without its leading />, where the file collected from the
host is bound -- or an empty one when none was collected (the import reports what it
cannot carry over with its line anyway). Only the path changes, so every line keeps its
number; an action's file and a converter's or ACL's of the same path stay one file, as
HAProxy requires of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .proof_files import PROOF_DIR, proof_key

# `acl blocked src -f /etc/haproxy/blocked.lst`, `if { src -f /etc/haproxy/x.lst }`.
_PATTERN_FILE = re.compile(r"(?<=[ \t])(-f[ \t]+)([^ \t\n\"'#{}]+)")
# A map converter and the file it reads (`map(PATH)`, `map_dom(PATH,default)`,
# `map_str_int(PATH)`), or an action that updates a loaded map (`set-map(PATH)`,
# `del-map(PATH)`): the path is group 2. The importer reads map files by it too.
MAP_FILE = re.compile(r"((?<![\w.-])(?:map(?:_[a-z0-9]+)*|set-map|del-map)\()([^ \t\n,)\"'#]+)")
# The actions that update a loaded pattern file: `add-acl(PATH)`, `del-acl(PATH)`.
_ACL_FILE = re.compile(r"((?<![\w.-])(?:add|del)-acl\()([^ \t\n,)\"'#]+)")


def pattern_files_for_proof(
    text: str, read: Callable[[str], bytes | None]
) -> tuple[str, dict[str, str]]:
    """Return `text` with its pattern and map files under PROOF_DIR, and those files by key."""
    files: dict[str, str] = {}

    def under_proof_dir(match: re.Match[str]) -> str:
        key = proof_key(match.group(2))
        if not key:
            return match.group(0)
        if key not in files:
            content = read(match.group(2))
            files[key] = "" if content is None else content.decode("latin-1")
        return f"{match.group(1)}{PROOF_DIR}/{key}"

    for pattern in (_PATTERN_FILE, MAP_FILE, _ACL_FILE):
        text = pattern.sub(under_proof_dir, text)
    return text, files
