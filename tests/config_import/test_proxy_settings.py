"""Hand-written global `tune.*` and `log` lines and a frontend's compression, imported.

The original is proven with the real `haproxy -c`; the rendered import must load too and
print the same lines back.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from controlplane.check import check_rendered
from controlplane.model.loader import validate_data
from controlplane.render import render_model
from controlplane.usecases.config_import import ImportResult, import_dir
from tests.config_import.handwritten_pair import write_pair

HAPROXY = """global
    log stdout format raw local0
    log 198.18.0.5:514 local2 notice
    tune.bufsize 32768
    tune.ssl.default-dh-param 2048
    tune.http.maxhdr 128

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 198.18.0.100:80
{compression}
    default_backend app

backend app
    server app1 198.18.0.20:8080
"""
BOTH = "    compression algo gzip\n    compression type text/html text/css"


def _import(folder: Path, compression: str = BOTH) -> ImportResult:
    return import_dir(write_pair(folder, HAPROXY.format(compression=compression)), prove=True)


def _rendered(result: ImportResult) -> str:
    rendered = render_model(validate_data(yaml.safe_load(result.yaml_text)).model)
    check_rendered(rendered).raise_for_failures()
    return str(rendered.hosts[0].files["haproxy.cfg"])


def test_tune_log_and_compression_lines_are_model_fields(tmp_path: Path) -> None:
    result = _import(tmp_path)
    settings = result.model["settings"]
    assert settings["tune"] == {"bufsize": 32768, "ssl_default_dh_param": 2048, "http_maxhdr": 128}
    assert settings["log_targets"] == [
        {"address": "stdout", "format": "raw", "facility": "local0"},
        {"address": "198.18.0.5:514", "facility": "local2", "level": "notice"},
    ]
    assert "extra" not in settings
    (web,) = result.model["frontends"]
    assert web["compression"] == {"algorithms": ["gzip"], "types": ["text/html", "text/css"]}
    assert "extra" not in web
    cfg = _rendered(result)
    for line in HAPROXY.format(compression=BOTH).splitlines():
        if line.strip().startswith(("log ", "tune.", "compression ")):
            assert f"\n{line}\n" in cfg, line


def test_compression_without_a_type_line_stays_verbatim(tmp_path: Path) -> None:
    # Without `compression type`, HAProxy compresses every type: the model lists types.
    result = _import(tmp_path, "    compression algo gzip")
    (web,) = result.model["frontends"]
    assert "compression" not in web
    assert web["extra"] == ["compression algo gzip"]
    _rendered(result)


def test_a_frontends_own_logging_is_its_logging(tmp_path: Path) -> None:
    lines = (
        "    no log\n    log 198.18.0.6:514 local3 info\n    no option dontlognull\n"
        "    unique-id-format '%{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid'\n"
        "    unique-id-header X-Request-ID"
    )
    result = _import(tmp_path, lines)
    (web,) = result.model["frontends"]
    assert web["logging"] == {
        "log_empty_connections": True,
        "request_id": {"format": "%{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid", "header": "X-Request-ID"},
        "targets": [{"address": "198.18.0.6:514", "facility": "local3", "level": "info"}],
    }
    assert "extra" not in web
    cfg = _rendered(result)
    assert "    no log\n    log 198.18.0.6:514 local3 info\n" in cfg


def test_a_log_line_adding_to_the_inherited_ones_stays_verbatim(tmp_path: Path) -> None:
    # Without `no log`, it logs to the global targets too: the model's targets replace them.
    result = _import(tmp_path, "    log 198.18.0.6:514 local3")
    (web,) = result.model["frontends"]
    assert "logging" not in web
    assert web["extra"] == ["log 198.18.0.6:514 local3"]
    _rendered(result)
