"""Single-field rules: types, ranges, charsets, unknown keys; every message names its path."""

from __future__ import annotations

from tests.support import model_errors, valid


def test_example_model_is_valid(example):
    loaded = valid(example)
    assert [h.name for h in loaded.model.lb_hosts] == ["lb1", "lb2"]
    assert loaded.warnings == []


def test_port_out_of_range_names_pool_server_and_value(example):
    example["pools"][0]["servers"][1]["port"] = 70000
    assert model_errors(example) == ["pools[app].servers[app2].port: must be 1-65535, got 70000"]


def test_all_errors_are_reported_at_once(example):
    example["pools"][0]["servers"][0]["port"] = 0
    example["pools"][0]["servers"][1]["weight"] = 999
    example["vip_pairs"][0]["virtual_router_id"] = 256
    assert model_errors(example) == [
        "vip_pairs[edge].virtual_router_id: must be 1-255, got 256",
        "pools[app].servers[app1].port: must be 1-65535, got 0",
        "pools[app].servers[app2].weight: must be 0-256, got 999",
    ]


def test_unknown_key_is_an_error_with_did_you_mean(example):
    example["pools"][0]["servers"][0]["prot"] = 80
    assert model_errors(example) == [
        "pools[app].servers[app1].prot: unknown key 'prot'; did you mean 'port'?"
    ]


def test_unknown_key_without_close_match_lists_allowed_keys(example):
    example["settings"]["zzz"] = 1
    [error] = model_errors(example)
    assert error.startswith("settings.zzz: unknown key 'zzz' (allowed: maxconn, timeouts")


def test_unknown_top_level_section(example):
    example["frontend"] = []
    assert model_errors(example) == ["frontend: unknown key 'frontend'; did you mean 'frontends'?"]


def test_wrong_type_is_not_coerced(example):
    example["pools"][0]["servers"][0]["port"] = "8080"
    assert model_errors(example) == [
        "pools[app].servers[app1].port: must be a whole number, got '8080' (a string)"
    ]


def test_enum_typo_suggests_the_value(example):
    example["pools"][0]["balance"] = "roundrobbin"
    [error] = model_errors(example)
    assert error.startswith("pools[app].balance: must be one of 'roundrobin'")
    assert error.endswith("got 'roundrobbin'; did you mean 'roundrobin'?")


def test_missing_required_field(example):
    del example["lb_hosts"][0]["interface"]
    assert model_errors(example) == ["lb_hosts[lb1].interface: is required"]


def test_name_charset_is_restricted(example):
    example["pools"][0]["name"] = "app pool"
    [error] = model_errors(example)
    assert error.startswith("pools[0].name: must be 1-63 ASCII letters")
    assert error.endswith("got 'app pool'")


def test_duration_needs_a_unit(example):
    example["health_checks"][0]["interval"] = "2000"
    assert model_errors(example) == [
        "health_checks[http-ok].interval: must be a number with a unit (us, ms, s, m, h, d) "
        "like 2s or 100ms, got '2000'"
    ]


def test_lb_host_address_must_be_ipv4(example):
    example["lb_hosts"][1]["address"] = "198.18.0.300"
    assert model_errors(example) == [
        "lb_hosts[lb2].address: must be an IPv4 address like 198.18.0.10, got '198.18.0.300'"
    ]


def test_vip_needs_a_prefix_length(example):
    example["vip_pairs"][0]["vips"] = ["198.18.0.100"]
    assert model_errors(example) == [
        "vip_pairs[edge].vips[0]: needs a prefix length like 198.18.0.100/24 "
        "(keepalived would assume /32)"
    ]


def test_loopback_interface_is_refused(example):
    example["lb_hosts"][0]["interface"] = "lo"
    assert model_errors(example) == [
        "lb_hosts[lb1].interface: keepalived cannot run VRRP on the loopback interface; "
        "name the LAN interface"
    ]


def test_virtual_router_id_range(example):
    example["vip_pairs"][0]["virtual_router_id"] = 0
    assert model_errors(example) == ["vip_pairs[edge].virtual_router_id: must be 1-255, got 0"]


def test_vrrp_password_longer_than_8_is_refused(example):
    example["vip_pairs"][0]["authentication"] = {"password": "much-too-long"}
    [error] = model_errors(example)
    assert error.startswith("vip_pairs[edge].authentication.password: must be 1-8 characters")


def test_tcp_health_check_refuses_http_fields(example):
    example["health_checks"][1]["path"] = "/x"
    assert model_errors(example) == ["health_checks[tcp-ok]: path apply to http checks only"]


def test_route_needs_host_or_path(example):
    example["frontends"][0]["routes"] = [{"pool": "app"}]
    assert model_errors(example) == [
        "frontends[web].routes[0]: a route needs host, path_prefix or both"
    ]


def test_pool_needs_a_server(example):
    example["pools"][0]["servers"] = []
    assert model_errors(example) == [
        "pools[app].servers: must have at least 1 item, or server_templates to fill the pool "
        "from DNS (or, to answer without servers, error_pages or extra lines: a stats page, "
        "a stick table)"
    ]


def test_a_pool_without_servers_answers_by_its_extra_lines(example):
    example["pools"][0]["servers"] = []
    example["pools"][0]["extra"] = ["stick-table type ip size 1m expire 10m store conn_cur"]
    assert model_errors(example) == []


def test_a_server_may_be_named_as_a_container_is(example):
    example["pools"][0]["servers"][0]["address"] = "openvpn_tcp"
    assert model_errors(example) == []


def test_a_frontend_may_choose_its_pool_in_extra(example):
    fe = example["frontends"][0]
    for key in ("default_pool", "routes", "rules"):
        fe.pop(key, None)
    assert model_errors(example) == ["frontends[web]: needs a default_pool, routes or rules"]
    fe["extra"] = ["use_backend app if { path_beg /app }"]
    assert model_errors(example) == []


def test_top_level_must_be_complete(example):
    assert model_errors({}) == ["lb_hosts: is required"]
