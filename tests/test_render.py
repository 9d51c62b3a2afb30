"""Rendering decisions: which host gets what, VRRP choices, server keywords, determinism."""

from __future__ import annotations

import pytest

from controlplane.model import load_model_file
from controlplane.render import keepalived_context, model_hash, render_model
from tests.support import EXAMPLE, MODELS, valid


def _render(path=EXAMPLE):
    return render_model(load_model_file(path).model)


def test_same_model_gives_the_same_bytes():
    first, second = _render(), _render()
    assert [h.files for h in first.hosts] == [h.files for h in second.hosts]


def test_header_has_no_timestamp_and_no_model_hash():
    for host in _render().hosts:
        for text in host.files.values():
            assert text.splitlines()[0].endswith("rendered by lbctl.")
            assert "20" + "26" not in text  # no date sneaks in


def test_a_change_only_haproxy_uses_leaves_keepalived_conf_identical(example):
    # Otherwise every deploy would reload keepalived for nothing.
    before = render_model(valid(example).model)
    example["pools"][0]["servers"][0]["weight"] = 7
    after = render_model(valid(example).model)
    for old, new in zip(before.hosts, after.hosts, strict=True):
        assert old.files["keepalived.conf"] == new.files["keepalived.conf"]
        assert old.files["haproxy.cfg"] != new.files["haproxy.cfg"]


def test_changing_the_model_changes_the_hash(example):
    before = model_hash(valid(example).model)
    example["pools"][0]["servers"][0]["weight"] = 7
    assert model_hash(valid(example).model) != before


def test_vrrp_v3_is_chosen_for_subsecond_advert():
    ctx = keepalived_context(load_model_file(MODELS / "active_active.yaml").model, "lb1")
    assert {i.version for i in ctx.instances} == {3}
    assert {i.advert_int for i in ctx.instances} == {"0.1"}


def test_active_passive_prefers_the_first_host():
    model = load_model_file(EXAMPLE).model
    [lb1] = keepalived_context(model, "lb1").instances
    [lb2] = keepalived_context(model, "lb2").instances
    assert (lb1.priority, lb2.priority) == (250, 240)
    assert lb1.version == 2 and lb1.advert_int == "1"
    assert lb1.unicast_src_ip == "198.18.0.10" and lb1.unicast_peers == ["198.18.0.11"]


def test_active_active_alternates_masters_over_consecutive_router_ids():
    model = load_model_file(MODELS / "active_active.yaml").model
    lb1 = keepalived_context(model, "lb1").instances
    lb2 = keepalived_context(model, "lb2").instances
    assert [(i.name, i.virtual_router_id, i.priority) for i in lb1] == [
        ("edge:1", 60, 250),
        ("edge:2", 61, 240),
    ]
    assert [i.priority for i in lb2] == [240, 250]
    assert [i.vips for i in lb1] == [["198.18.0.100/24 dev eth0"], ["198.18.0.101/24 dev eth0"]]


def test_both_hosts_start_as_backup_and_nopreempt_follows_preempt_false():
    text = _render(MODELS / "active_active.yaml").host("lb1").files["keepalived.conf"]
    assert text.count("state BACKUP") == 2 and "state MASTER" not in text
    assert text.count("nopreempt") == 2


def test_track_script_asks_haproxy_on_its_loopback_listener():
    text = _render().host("lb1").files["keepalived.conf"]
    assert "http://127.0.0.1:8404/healthz" in text
    assert "pidof" not in text and "killall" not in text
    assert "chk_haproxy weight -60" in text


def test_drain_renders_weight_zero_and_maint_renders_disabled():
    text = _render(MODELS / "sticky_tls_tcp.yaml").host("lb-a").files["haproxy.cfg"]
    assert "server s3 198.18.1.22:8443 check weight 100 disabled" in text
    example = _render().host("lb1").files["haproxy.cfg"]
    assert "server app3 198.18.0.22:8080 check weight 0 backup" in example


def test_seamless_reload_directives_are_present():
    text = _render().host("lb1").files["haproxy.cfg"]
    for line in (
        "master-worker",
        "stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners",
        "server-state-file /var/lib/haproxy/server-state",
        "load-server-state-from-file global",
        "hard-stop-after 1m",
        "option idle-close-on-response",
    ):
        assert f"    {line}\n" in text


def test_source_stickiness_renders_peers_with_localpeer():
    model = load_model_file(MODELS / "sticky_tls_tcp.yaml").model
    text = render_model(model).host("lb-b").files["haproxy.cfg"]
    assert "    localpeer lb-b\n" in text
    assert (
        "peers lbctl:public\n    peer lb-a 198.18.1.10:10000\n    peer lb-b 198.18.1.11:10000"
        in text
    )
    assert "stick-table type ip size 1m expire 30m peers lbctl:public" in text


def test_no_peers_section_without_source_stickiness():
    text = _render().host("lb1").files["haproxy.cfg"]
    assert "peers " not in text and "localpeer" not in text


def test_path_prefix_matches_whole_segments():
    text = _render().host("lb1").files["haproxy.cfg"]
    assert "acl route0_path path /v1\n" in text
    assert "acl route0_path path_beg /v1/\n" in text
    assert "use_backend app if route0_host route0_path" in text


def test_host_only_gets_frontends_of_its_pairs():
    rendered = _render(MODELS / "two_pairs.yaml")
    lb1 = rendered.host("lb1").files["haproxy.cfg"]
    lb2 = rendered.host("lb2").files["haproxy.cfg"]
    lb3 = rendered.host("lb3").files["haproxy.cfg"]
    assert "frontend web" in lb1 and "frontend api" not in lb1 and "backend api" not in lb1
    assert "frontend web" in lb2 and "frontend api" in lb2
    assert "frontend api" in lb3 and "frontend web" not in lb3
    assert rendered.host("lb2").files["keepalived.conf"].count("vrrp_instance") == 2


def test_track_weight_zero_renders_fault_on_failure():
    text = _render(MODELS / "two_pairs.yaml").host("lb3").files["keepalived.conf"]
    assert "chk_haproxy weight 0" in text


def test_ipv6_server_address_is_bracketed():
    text = _render(MODELS / "sticky_tls_tcp.yaml").host("lb-a").files["haproxy.cfg"]
    assert "server shop2 [2001:db8::22]:80 " in text


def test_a_value_with_a_line_break_is_never_printed_even_past_validation(example):
    model = valid(example).model
    server = model.pools[0].servers[0]
    # model_copy skips validation: as if a bug let a line break through the model.
    broken = server.model_copy(update={"name": "app1\n    server evil 198.18.0.99:80"})
    model.pools[0].servers[0] = broken
    with pytest.raises(ValueError, match="line break"):
        render_model(model)
