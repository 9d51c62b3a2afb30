"""Cross-object rules: references, duplicates, VRRP sanity, bindings, pools. One test each."""

from __future__ import annotations

from tests.support import model_errors, valid


def test_unknown_pool_reference_suggests_close_name(example):
    example["frontends"][0]["default_pool"] = "ap"
    assert model_errors(example) == [
        "frontends[web].default_pool: unknown pool 'ap'; did you mean 'app'? "
        "(known: 'app', 'app-tcp')"
    ]


def test_unknown_health_check_reference(example):
    example["pools"][0]["health_check"] = "http-okay"
    [error] = model_errors(example)
    assert error.startswith(
        "pools[app].health_check: unknown health check 'http-okay'; did you mean 'http-ok'?"
    )


def test_unknown_vip_pair_reference(example):
    example["frontends"][1]["vip_pair"] = "edg"
    [error] = model_errors(example)
    assert error.startswith("frontends[web-tls].vip_pair: unknown vip_pair 'edg'; did you mean")


def test_unknown_route_pool(example):
    example["frontends"][0]["routes"][0]["pool"] = "nope"
    [error] = model_errors(example)
    assert error.startswith("frontends[web].routes[0].pool: unknown pool 'nope'")


def test_unknown_host_in_vip_pair(example):
    example["vip_pairs"][0]["hosts"] = ["lb1", "lb3"]
    [error] = model_errors(example)
    assert error.startswith("vip_pairs[edge].hosts[1]: unknown lb_host 'lb3'; did you mean")


def test_duplicate_names_point_at_the_second(example):
    example["pools"].append(dict(example["pools"][0]))
    assert "pools[2].name: duplicate name 'app' (also pools[0])" in model_errors(example)


def test_duplicate_server_names_in_a_pool(example):
    servers = example["pools"][0]["servers"]
    servers[1]["name"] = "app1"
    assert model_errors(example) == [
        "pools[app].servers[1].name: duplicate name 'app1' (also pools[app].servers[0])"
    ]


def test_duplicate_lb_host_address(example):
    example["lb_hosts"][1]["address"] = "198.18.0.10"
    assert model_errors(example) == [
        "lb_hosts[1].address: duplicate address '198.18.0.10' (also lb_hosts[0])"
    ]


def test_vip_pair_needs_exactly_two_hosts(example):
    example["vip_pairs"][0]["hosts"] = ["lb1"]
    assert model_errors(example) == ["vip_pairs[edge].hosts: must name exactly two lb_hosts, got 1"]


def test_vip_pair_hosts_must_differ(example):
    example["vip_pairs"][0]["hosts"] = ["lb1", "lb1"]
    assert model_errors(example) == [
        "vip_pairs[edge].hosts: must name two different lb_hosts, got 'lb1' twice"
    ]


def test_vrrp_v2_refuses_subsecond_advert(example):
    example["vip_pairs"][0].update(advert_interval="100ms", vrrp_version=2)
    [error] = model_errors(example)
    assert error.startswith(
        "vip_pairs[edge].advert_interval: VRRPv2 cannot advertise faster than 1s, got 100ms"
    )


def test_vrrp_v2_needs_whole_seconds(example):
    example["vip_pairs"][0]["advert_interval"] = "1500ms"
    example["vip_pairs"][0]["vrrp_version"] = 2
    assert model_errors(example) == [
        "vip_pairs[edge].advert_interval: VRRPv2 needs whole seconds from 1s to 255s, got 1500ms"
    ]


def test_vrrp_v3_refuses_authentication(example):
    example["vip_pairs"][0].update(advert_interval="100ms", authentication={"password": "abc"})
    [error] = model_errors(example)
    assert error.startswith("vip_pairs[edge].authentication: VRRPv3 has no authentication")


def test_vrrp_v3_advert_must_be_centiseconds(example):
    example["vip_pairs"][0]["advert_interval"] = "105ms"
    assert model_errors(example) == [
        "vip_pairs[edge].advert_interval: VRRPv3 needs a multiple of 10ms up to 40.95s, got 105ms"
    ]


def test_track_weight_must_really_force_a_failover(example):
    example["vip_pairs"][0].update(master_priority=150, backup_priority=100, track_weight=50)
    assert model_errors(example) == [
        "vip_pairs[edge].track_weight: a failed HAProxy check would leave the master at "
        "priority 100, not below the backup's 100, so the VIPs would not move; use more than 50"
    ]


def test_track_weight_zero_means_fault_and_is_accepted(example):
    example["vip_pairs"][0]["track_weight"] = 0
    assert model_errors(example) == []


def test_master_priority_must_exceed_backup(example):
    example["vip_pairs"][0].update(master_priority=100, backup_priority=100)
    assert model_errors(example) == [
        "vip_pairs[edge].master_priority: must be above backup_priority (100), got 100"
    ]


def test_active_active_needs_two_vips(example):
    example["vip_pairs"][0]["mode"] = "active-active"
    assert model_errors(example) == [
        "vip_pairs[edge].vips: active-active needs at least two vips, got 1"
    ]


def test_active_active_router_ids_must_stay_in_range(example):
    example["vip_pairs"][0].update(
        mode="active-active", virtual_router_id=255, vips=["198.18.0.100/24", "198.18.0.101/24"]
    )
    assert model_errors(example) == [
        "vip_pairs[edge].virtual_router_id: active-active with 2 vips uses ids 255-256, "
        "past 255; start at 254 or lower"
    ]


def _second_pair(example, router_id: int, vip: str = "198.18.0.110/24") -> None:
    example["lb_hosts"].append({"name": "lb3", "address": "198.18.0.12", "interface": "eth0"})
    example["vip_pairs"].append(
        {"name": "inner", "hosts": ["lb2", "lb3"], "virtual_router_id": router_id, "vips": [vip]}
    )


def test_router_id_reused_on_a_shared_interface(example):
    _second_pair(example, router_id=51)
    assert model_errors(example) == [
        "vip_pairs[inner].virtual_router_id: virtual_router_id 51 is already used by "
        "vip_pairs[edge] on lb2/eth0"
    ]


def test_router_id_reuse_on_disjoint_hosts_is_fine(example):
    example["lb_hosts"] += [
        {"name": "lb3", "address": "198.18.0.12", "interface": "eth0"},
        {"name": "lb4", "address": "198.18.0.13", "interface": "eth0"},
    ]
    example["vip_pairs"].append(
        {"name": "b", "hosts": ["lb3", "lb4"], "virtual_router_id": 51, "vips": ["198.18.0.110/24"]}
    )
    assert model_errors(example) == []


def test_same_vip_in_two_pairs(example):
    _second_pair(example, router_id=52, vip="198.18.0.100/24")
    assert model_errors(example) == [
        "vip_pairs[inner].vips[0]: VIP 198.18.0.100 is already used by vip_pairs[edge]"
    ]


def test_vip_equal_to_a_host_address(example):
    example["vip_pairs"][0]["vips"] = ["198.18.0.10/24"]
    example["frontends"][0]["vip"] = "198.18.0.10"
    assert model_errors(example) == [
        "vip_pairs[edge].vips[0]: VIP 198.18.0.10 is the address of lb_host 'lb1'"
    ]


def test_frontend_must_bind_a_vip_of_its_pair(example):
    example["frontends"][0]["vip"] = "198.18.0.150"
    assert model_errors(example) == [
        "frontends[web].vip: 198.18.0.150 is not a VIP of vip_pairs[edge] (198.18.0.100)"
    ]


def test_two_frontends_on_the_same_vip_and_port(example):
    example["frontends"][1]["port"] = 80
    example["frontends"][1].pop("tls")
    assert model_errors(example) == [
        "frontends[web-tls].port: 198.18.0.100:80 is already bound by frontends[web]"
    ]


def test_routes_on_a_tcp_frontend(example):
    example["frontends"][2]["routes"] = [{"path_prefix": "/x", "pool": "app-tcp"}]
    assert model_errors(example) == [
        "frontends[app-direct].routes: a tcp frontend cannot route by host or path; use mode: http"
    ]


def test_frontend_needs_a_default_pool_routes_or_rules(example):
    example["frontends"][1].pop("default_pool")
    assert model_errors(example) == ["frontends[web-tls]: needs a default_pool, routes or rules"]


def test_duplicate_route_is_never_reached(example):
    routes = example["frontends"][0]["routes"]
    routes.append(dict(routes[0]))
    assert model_errors(example) == [
        "frontends[web].routes[1]: same match as routes[0], never reached"
    ]


def test_host_only_route_shadows_later_routes_of_that_host(example):
    example["frontends"][0]["routes"] = [
        {"host": "api.example.com", "pool": "app"},
        {"host": "api.example.com", "path_prefix": "/v1", "pool": "app"},
    ]
    [error] = model_errors(example)
    assert error.startswith("frontends[web].routes[1]: routes[0] already takes every path")


def test_pool_whose_servers_are_all_backups(example):
    for server in example["pools"][1]["servers"]:
        server["backup"] = True
    assert model_errors(example) == [
        "pools[app-tcp].servers: every server is a backup: at least one must not be"
    ]


def test_same_endpoint_twice_in_a_pool(example):
    example["pools"][0]["servers"][1]["address"] = "198.18.0.20"
    example["pools"][0]["servers"][1]["port"] = 8080
    assert model_errors(example) == [
        "pools[app].servers[app2]: 198.18.0.20:8080 is also server 'app1'"
    ]


def test_pool_used_by_http_and_tcp_frontends(example):
    example["frontends"][2]["default_pool"] = "app"
    [error] = model_errors(example)
    assert error.startswith("pools[app]: used by http frontend 'web' and tcp frontend 'app-direct'")


def test_cookie_stickiness_needs_http(example):
    example["pools"][1]["sticky"] = "cookie"
    assert model_errors(example) == [
        "pools[app-tcp].sticky: cookie stickiness needs http frontends"
    ]


def test_balance_uri_needs_http(example):
    example["pools"][1]["balance"] = "uri"
    assert model_errors(example) == ["pools[app-tcp].balance: balance uri needs http frontends"]


def test_source_sticky_pool_must_stay_in_one_pair(example):
    _second_pair(example, router_id=52)
    example["pools"][0]["sticky"] = "source"
    example["frontends"].append(
        {"name": "inner-web", "vip_pair": "inner", "port": 80, "default_pool": "app"}
    )
    [error] = model_errors(example)
    assert error.startswith("pools[app].sticky: a source-sticky pool is replicated within one")


def test_monitor_and_metrics_ports_must_differ(example):
    example["settings"]["metrics_port"] = 8404
    assert model_errors(example) == ["settings.metrics_port: must differ from monitor_port (8404)"]


def test_unused_objects_are_warnings_not_errors(example):
    example["pools"].append(
        {"name": "spare", "servers": [{"name": "s", "address": "198.18.0.30", "port": 80}]}
    )
    example["lb_hosts"].append({"name": "lb9", "address": "198.18.0.19", "interface": "eth0"})
    warnings = [str(w) for w in valid(example).warnings]
    assert warnings == [
        "pools[spare]: no frontend uses this pool; it is not rendered",
        "lb_hosts[lb9]: in no vip pair: it gets no frontends and no VRRP",
    ]
