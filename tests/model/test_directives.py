"""What an `extra` line may say: directives stay inside the model's reach."""

from __future__ import annotations

import pytest

from controlplane.errors import ModelInvalid
from controlplane.model import validate_data

ALLOWED = [
    "tune.bufsize 32768",
    'http-response set-header Strict-Transport-Security "max-age=63072000"',
    "http-request deny if { path_beg /admin }",
    "http-request set-path /v2%[path] if { path_beg /v1 }",
    "acl api path_reg ^/api$",
    "http-request return status 200 content-type text/plain string ok if { path /ping }",
    "log global",
    "log 127.0.0.1:514 local0",
    "stats uri /stats",
    "filter compression",
    "compression algo gzip",
    "option httplog",
    'description "a b #c"',
]

REFUSED = {
    '.alert "${LBCTL_SECRET_KEY}"': "preprocessor",
    ".if defined(HOME)": "preprocessor",
    'http-request set-header X "${LBCTL_SECRET_KEY}"': "environment variables",
    'description "$HOME"': "environment variables",
    "lua-load /tmp/x.lua": "runs code",
    "lua-prepend-path /tmp/?.lua": "runs code",
    "external-check command /bin/true": "runs code",
    "option external-check": "runs code",
    "insecure-fork-wanted": "runs code",
    'setenv X "y"': "changes the HAProxy process",
    "presetenv X y": "changes the HAProxy process",
    "user root": "changes the HAProxy process",
    "stats socket ipv4@0.0.0.0:9999 level admin": "changes the HAProxy process",
    "errorfile 503 /etc/shadow": "reads a file",
    "ca-base /etc": "reads a file",
    "http-request return status 200 file /etc/shadow": "names a file",
    "http-request return status 200 lf-file /etc/shadow": "names a file",
    "acl bad src -f /etc/shadow": "names a file",
    "server s1 198.18.0.20:443 ssl crt /etc/key.pem": "names a file",
    "filter spoe config /etc/spoe.conf": "loads code or a configuration file",
    "http-request set-header X %[env(LBCTL_SECRET_KEY)]": "reads env(...)",
    "use_backend %[req.hdr(host),map(/etc/passwd)]": "reads map(...)",
    "http-request set-header X %[str(root),map_str(/etc/shadow)]": "reads map_str(...)",
    "bind unix@/run/x.sock": "socket by path",
    "server s1 fd@0": "socket by path",
    "log /dev/log local0": "is a path on the host",
    "server s1 /run/app.sock": "is a path on the host",
    "program evil": "section header",
    "zero-warning": "server-state file",
    "quiet": "hides the messages",
    # A map at a made-up place under a maps/ folder still needs a declared map there.
    "use_backend %[req.hdr(host),map(/etc/haproxy/lbctl/maps/../../../etc/passwd)]": "maps[]",
}


@pytest.mark.parametrize("directive", ALLOWED)
def test_an_ordinary_directive_is_accepted(example, directive):
    example["settings"] = {"extra": [directive]}
    assert validate_data(example).model.settings.extra == [directive]


@pytest.mark.parametrize(("directive", "reason"), REFUSED.items(), ids=list(REFUSED))
def test_a_directive_out_of_the_models_reach_is_refused_naming_the_field(
    example, directive, reason
):
    example["pools"][0]["extra"] = ["option allbackups", directive]
    with pytest.raises(ModelInvalid) as refused:
        validate_data(example)
    [error] = refused.value.errors
    assert error.path == "pools[app].extra[1]"
    assert reason in error.message


DECLARED_MAP_ROUTING = (
    "use_backend %[req.hdr(host),lower,map_dom(/etc/haproxy/lbctl/maps/hosts.map,app)]"
)


def test_a_declared_map_may_route_in_extra(example, tmp_path):
    example["maps"] = [{"name": "hosts"}]
    example["frontends"][0]["extra"] = [DECLARED_MAP_ROUTING]
    loaded = validate_data(example)
    assert loaded.model.frontends[0].extra == [DECLARED_MAP_ROUTING]


def test_a_map_read_that_is_not_declared_names_the_field_and_the_declared_ones(example):
    example["maps"] = [{"name": "other"}]
    example["frontends"][0]["extra"] = [DECLARED_MAP_ROUTING]
    with pytest.raises(ModelInvalid) as refused:
        validate_data(example)
    [error] = refused.value.errors
    assert error.path == "frontends[web].extra[0]"
    assert "/etc/haproxy/lbctl/maps/hosts.map, which is no declared map" in error.message
    assert "(declared: 'other')" in error.message
