"""Rendered files go through the real haproxy -c and keepalived -t."""

from __future__ import annotations

import pytest

from controlplane.check import check_file, check_rendered
from controlplane.errors import CheckFailed
from controlplane.model import load_model_file, validate_data
from controlplane.render import render_model
from controlplane.usecases.files import render_loaded
from tests.support import MODELS, needs_binaries

pytestmark = needs_binaries


@pytest.mark.parametrize("model", sorted(p.stem for p in MODELS.glob("*.yaml")))
def test_varied_models_pass_both_binaries_without_warnings(model: str) -> None:
    report = check_rendered(render_model(load_model_file(MODELS / f"{model}.yaml").model))
    assert report.failures == []
    assert [w for c in report.checks for w in c.warnings] == []
    assert len(report.checks) == 2 * len(load_model_file(MODELS / f"{model}.yaml").model.lb_hosts)


def test_missing_certificate_is_stood_in_for_locally() -> None:
    report = check_rendered(render_model(load_model_file(MODELS / "sticky_tls_tcp.yaml").model))
    haproxy = [c for c in report.checks if c.file == "haproxy.cfg"]
    assert all("/etc/haproxy/certs/public.pem" in c.substituted for c in haproxy)


def test_a_directive_haproxy_refuses_fails_with_host_file_and_line(example) -> None:
    example["pools"][0]["extra"] = ["balance no-such-algorithm"]
    loaded = validate_data(example)
    with pytest.raises(CheckFailed) as failure:
        render_loaded(loaded)
    assert failure.value.host in ("lb1", "lb2")
    assert failure.value.tool == "haproxy -c"
    assert f"{failure.value.host}/haproxy.cfg:" in failure.value.output
    assert "no-such-algorithm" in failure.value.output


def test_keepalived_refusal_is_reported_with_its_message() -> None:
    text = "vrrp_instance x {\n    interface eth0\n    virtual_router_id 300\n}\n"
    result = check_file("lb1", "keepalived.conf", text)
    assert not result.ok
    assert "lb1/keepalived.conf: Line 3" in result.output and "300" in result.output


def test_keepalived_check_does_not_need_the_interfaces_on_this_machine() -> None:
    report = check_rendered(render_model(load_model_file(MODELS / "sticky_tls_tcp.yaml").model))
    assert all(c.ok for c in report.checks if c.file == "keepalived.conf")  # ens3 is not here


@pytest.mark.parametrize(
    "line",
    [
        'script "/usr/local/bin/check_haproxy.sh"',
        'script       "/usr/local/bin/check_haproxy.sh"',
        "script\t/usr/local/bin/check_haproxy.sh",
        'script "/usr/local/bin/check_haproxy.sh --port 80"',
    ],
)
def test_a_hand_written_track_script_is_stood_in_however_it_is_written(line: str) -> None:
    # keepalived -t disables a script it cannot find; the pair's scripts live on its hosts.
    text = (
        "global_defs {\n  enable_script_security\n  script_user root\n}\n"
        f"vrrp_script chk {{\n{line}\n  interval 2\n}}\n"
        "vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n"
        "  priority 100\n  virtual_ipaddress {\n    198.18.0.100/24\n  }\n"
        "  track_script {\n    chk\n  }\n}\n"
    )
    result = check_file("lb1", "keepalived.conf", text)
    assert result.substituted == ["/usr/local/bin/check_haproxy.sh"]
    assert result.ok, result.output
