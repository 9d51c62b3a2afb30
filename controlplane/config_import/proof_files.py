"""The error pages an original haproxy.cfg names, for proving it with `haproxy -c`.

The originals are proven in a sandbox that shows none of the host's files, and HAProxy
opens every `errorfile CODE PATH` while it checks (Debian's default config names seven),
and every file a `return` action or an `http-error` line answers with.
Each such path is pointed at PROOF_DIR/<the path without its leading />, where the page
collected from the host is bound -- or, when none was collected, a minimal page with that
status, as a certificate gets a stand-in (the import reports the missing file anyway).
Only the path changes, so every line keeps its number and haproxy's messages still point
at the operator's lines.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

PROOF_DIR = "/lbctl-import-proof"

# `errorfile 503 /etc/haproxy/errors/503.http`, in defaults, proxies and http-errors.
_ERRORFILE = re.compile(r"^([ \t]*errorfile[ \t]+([0-9]{3})[ \t]+)([^ \t\n\"'#]+)", re.M)


def error_pages_for_proof(
    text: str, read: Callable[[str], bytes | None]
) -> tuple[str, dict[str, str]]:
    """Return `text` with its errorfile paths under PROOF_DIR, and those pages by key.

    `read` gives a collected file by its path on the host (None: not collected). A key is
    the page's path under PROOF_DIR.
    """
    pages: dict[str, str] = {}

    def bound(match: re.Match[str], stand_in: str) -> str:
        key = proof_key(match.group(3))
        if not key:
            return match.group(0)
        content = read(match.group(3))
        # latin-1 keeps every byte as one character: haproxy -c parses only the head.
        pages[key] = stand_in if content is None else content.decode("latin-1")
        return f"{match.group(1)}{PROOF_DIR}/{key}"

    def error_page(match: re.Match[str]) -> str:
        status = match.group(2)
        return bound(
            match, f"HTTP/1.0 {status} Error\r\nContent-Type: text/plain\r\n\r\n{status}\n"
        )

    def response_file(match: re.Match[str]) -> str:
        return bound(match, _RESPONSE_STAND_IN if match.group(2) == "errorfile" else "")

    def response_line(match: re.Match[str]) -> str:
        return _RESPONSE_FILE.sub(response_file, match.group(0))

    return _RESPONSE_LINE.sub(response_line, _ERRORFILE.sub(error_page, text)), pages


def proof_key(path: str) -> str:
    """Return where a host's file is bound under PROOF_DIR: its path without the leading /
    ("" for / itself). A relative path is taken from /, so no key leaves PROOF_DIR."""
    return posixpath.normpath("/" + path).lstrip("/")


# `http-request return status 404 errorfile PATH`, `http-error status 400 lf-file PATH`:
# the file a `return` action or an `http-error` line answers with.
_RESPONSE_LINE = re.compile(
    r"^[ \t]*(?:http-(?:request|response)[ \t]+return|http-error)[ \t].*$", re.M
)
_RESPONSE_FILE = re.compile(r"((?<=[ \t])(errorfile|lf-file|file)[ \t]+)([^ \t\n\"'#]+)")
_RESPONSE_STAND_IN = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
