"""An ACL pattern file written inline blocks and lets through the same requests.

`acl bad-agent hdr_sub(user-agent) -i -f FILE` reads one pattern a line, taken as written;
the import writes the patterns inline, single-quoting one with a space or a backslash. The
original (with its file) and the rendered import are served side by side by the real
HAProxy and asked the same requests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controlplane.usecases.config_import import import_dir
from tests.config_import.equivalence import can_run, render_import, serve_and_ask
from tests.config_import.handwritten_pair import write_pair

HAPROXY = """defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 198.18.0.100:80
    acl bad-agent hdr_sub(user-agent) -i -f /etc/haproxy/bad-agents.lst
    http-request deny if bad-agent
    default_backend www

backend www
    server www1 127.0.0.1:18081
"""
# A comment, a blank line, spaces around a pattern (HAProxy keeps those after it), one with
# a backslash and a space, one starting with '-'.
AGENTS = "# crawlers\n360Spider\n\n  AhrefsBot  \nALittle\\ Client\n-dash-bot\n"
USER_AGENTS = [
    "Mozilla/5.0",
    "360Spider/1.0",
    "Mozilla/5.0 (compatible; ahrefsbot/7.0)",
    "ahrefsbot  /7.0",
    "ALittle\\ Client 2.0",
    "ALittle Client 2.0",
    "x -dash-bot y",
    "dash-bot",
]


def _answers(config: str, files: dict[str, Path]) -> list[tuple[str, int]]:
    requests = [
        {
            "address": "198.18.0.100",
            "port": 80,
            "tls": False,
            "method": "GET",
            "host": "www.example.com",
            "path": "/",
            "headers": {"User-Agent": agent},
        }
        for agent in USER_AGENTS
    ]
    answers = serve_and_ask(config, files, ["198.18.0.100"], requests)
    return [(agent, a["status"]) for agent, a in zip(USER_AGENTS, answers, strict=True)]


@pytest.mark.skipif(not can_run(), reason="needs root, unshare and haproxy")
def test_inline_patterns_deny_what_the_file_denied(tmp_path: Path) -> None:
    folder = write_pair(tmp_path / "in", HAPROXY, {"etc/haproxy/bad-agents.lst": AGENTS})
    agents_file = folder / "lb1" / "files" / "etc" / "haproxy" / "bad-agents.lst"
    original = _answers(HAPROXY, {"/etc/haproxy/bad-agents.lst": agents_file})
    # What the original does, measured: case-insensitive substrings, the spaces after a
    # pattern kept, the backslash literal.
    assert [status for _agent, status in original] == [200, 403, 200, 403, 403, 200, 403, 200]
    result = import_dir(folder, prove=True)
    rendered = render_import(dict(yaml.safe_load(result.yaml_text)), tmp_path / "import", "lb1")
    assert "'ALittle\\ Client'" in rendered.config
    assert _answers(rendered.config, rendered.files) == original
