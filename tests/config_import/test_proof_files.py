"""The originals' error pages are proven with haproxy -c: the collected ones, for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.config_import.proof_files import PROOF_DIR, error_pages_for_proof
from controlplane.config_import.report import ImportRefused
from controlplane.usecases.config_import import import_dir
from tests.config_import.handwritten_pair import needs_tools, write_pair

CONFIG = """global
    log /dev/log local0

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    errorfile 503 /etc/haproxy/errors/503.http
    errorfile 504 /etc/haproxy/errors/504.http

frontend web
    bind 198.18.0.100:80
    default_backend app

backend app
    server app1 198.18.0.20:8080
"""

PAGE = "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html\r\n\r\n<h1>Back soon</h1>\n"


def test_error_pages_move_under_the_proof_folder_and_keep_their_lines() -> None:
    pages = {"/etc/haproxy/errors/503.http": PAGE.encode()}
    text, proof = error_pages_for_proof(CONFIG, lambda path: pages.get(path))
    assert len(text.splitlines()) == len(CONFIG.splitlines())
    assert f"    errorfile 503 {PROOF_DIR}/etc/haproxy/errors/503.http" in text.splitlines()
    assert proof["etc/haproxy/errors/503.http"] == PAGE
    # Not collected: a page of the same status stands in, as a certificate's stand-in does.
    assert proof["etc/haproxy/errors/504.http"].startswith("HTTP/1.0 504 ")


def _pair(root: Path, page: str) -> Path:
    return write_pair(root, CONFIG, {"etc/haproxy/errors/503.http": page})


@needs_tools
def test_a_config_naming_its_error_pages_is_proven_and_imported(tmp_path: Path) -> None:
    result = import_dir(_pair(tmp_path, PAGE), prove=True)
    assert result.report.exit_status in (0, 1)


@needs_tools
def test_a_collected_error_page_that_is_not_a_response_refuses_the_import(
    tmp_path: Path,
) -> None:
    with pytest.raises(ImportRefused, match="errorfile"):
        import_dir(_pair(tmp_path, "this is not an HTTP response\n"), prove=True)
