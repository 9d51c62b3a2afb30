"""A frontend's binds after its VIP's, proven by haproxy -c."""

from __future__ import annotations

from typing import Any

from controlplane.check import check_rendered
from controlplane.model import validate_data
from controlplane.render import Rendered, render_model
from tests.support import needs_binaries


def rendered(document: dict[str, Any]) -> Rendered:
    return render_model(validate_data(document).model)


def with_binds(example: dict[str, Any]) -> dict[str, Any]:
    example["frontends"][0]["binds"] = [
        {"address": "*", "port": 8081},
        {"address": "::", "port": 8082},
        {"address": "2001:db8::10", "port": 81, "accept_proxy": True},
        {"unix_socket": "/run/haproxy/web.sock", "mode": "660", "accept_proxy": True},
    ]
    example["frontends"][1]["binds"] = [
        {"address": "::", "port": 443},
        {"unix_socket": "/run/haproxy/web-tls.sock", "tls": False},
    ]
    return example


def test_binds_follow_the_vip_bind_in_model_order(example) -> None:
    text = rendered(with_binds(example)).hosts[0].files["haproxy.cfg"]
    assert (
        "frontend web\n"
        "    bind 198.18.0.100:80\n"
        "    bind *:8081\n"
        "    bind [::]:8082\n"
        "    bind [2001:db8::10]:81 accept-proxy\n"
        "    bind unix@/run/haproxy/web.sock mode 660 accept-proxy\n"
        "    mode http\n"
    ) in text


def test_a_bind_terminates_tls_like_the_vip_unless_told_not_to(example) -> None:
    text = rendered(with_binds(example)).hosts[0].files["haproxy.cfg"]
    vip_bind = next(ln for ln in text.splitlines() if ln.startswith("    bind 198.18.0.100:443"))
    tls_options = vip_bind.split(" ", 6)[-1]
    assert "ssl crt" in tls_options
    assert f"    bind [::]:443 {tls_options}\n" in text
    assert "    bind unix@/run/haproxy/web-tls.sock\n" in text


def test_both_hosts_of_the_pair_listen_the_same(example) -> None:
    result = rendered(with_binds(example))
    first, second = (h.files["haproxy.cfg"] for h in result.hosts)
    assert [ln for ln in first.splitlines() if "bind " in ln] == [
        ln for ln in second.splitlines() if "bind " in ln
    ]


@needs_binaries
def test_binds_pass_haproxy_c(example) -> None:
    report = check_rendered(rendered(with_binds(example)))
    assert report.failures == []
    assert [w for c in report.checks for w in c.warnings] == []


def test_accept_proxy_on_the_vip_bind_is_its_own(example) -> None:
    example["frontends"][1]["accept_proxy"] = True
    example["frontends"][1]["binds"] = [{"address": "::", "port": 443}]
    result = rendered(example)
    lines = result.hosts[0].files["haproxy.cfg"].splitlines()
    vip_bind = next(ln for ln in lines if ln.startswith("    bind 198.18.0.100:443 "))
    more = next(ln for ln in lines if ln.startswith("    bind [::]:443 "))
    assert vip_bind.endswith(" accept-proxy") and "ssl crt" in vip_bind
    assert "ssl crt" in more and "accept-proxy" not in more
    assert check_rendered(result).failures == []


def test_without_accept_proxy_the_vip_bind_renders_as_before(example) -> None:
    text = rendered(example).hosts[0].files["haproxy.cfg"]
    assert "    bind 198.18.0.100:80\n" in text
