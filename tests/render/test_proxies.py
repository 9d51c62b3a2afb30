"""User lists, stats page, logging and proxy options rendered and proven by haproxy -c."""

from __future__ import annotations

from typing import Any

from controlplane.check import check_rendered
from controlplane.model import validate_data
from controlplane.render import Rendered, render_model
from tests.model.test_stats_pages import with_stats
from tests.model.test_userlists import BCRYPT, SHA512, with_userlist
from tests.support import needs_binaries


def rendered(document: dict[str, Any]) -> Rendered:
    return render_model(validate_data(document).model)


def assert_haproxy_accepts(result: Rendered) -> None:
    report = check_rendered(result)
    assert report.failures == []
    assert [w for c in report.checks for w in c.warnings] == []


@needs_binaries
def test_user_lists_pass_haproxy_c(example) -> None:
    with_userlist(example)
    example["userlists"][0]["users"].append({"name": "bob@example.com", "password": BCRYPT})
    result = rendered(example)
    assert f"    user alice password {SHA512}\n" in result.hosts[0].files["haproxy.cfg"]
    assert_haproxy_accepts(result)


@needs_binaries
def test_a_stats_page_is_its_own_listen_section_behind_its_userlist(example) -> None:
    result = rendered(with_stats(example, refresh="5s", admin=True))
    assert (
        "listen stats:ops\n"
        "    bind 198.18.0.100:8404\n"
        "    mode http\n"
        "    stats enable\n"
        "    stats uri /stats\n"
        "    stats hide-version\n"
        "    stats refresh 5s\n"
        "    http-request auth unless { http_auth(admins) }\n"
        "    stats admin if TRUE\n"
    ) in result.hosts[0].files["haproxy.cfg"]
    assert "frontend lbctl:metrics" in result.hosts[0].files["haproxy.cfg"]
    assert_haproxy_accepts(result)
