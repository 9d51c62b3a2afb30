"""lbctl's own rendered configs, imported back, render the same environment.

The example and the golden inputs are rendered, imported from that folder, and the import
rendered again: every host must get the same listeners, the same servers per backend
(address, weight, backup, maintenance), the same health checks and timeouts, and the same
VRRP instances (VIPs, interface, priority, preemption).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from controlplane.check import check_rendered
from controlplane.model.loader import load_model_file, validate_data
from controlplane.render import render_model
from controlplane.rendered_config import read_haproxy_cfg, read_keepalived_conf
from controlplane.usecases.config_import import import_dir
from controlplane.usecases.files import write_rendered

ROOT = Path(__file__).resolve().parents[2]
# Golden inputs whose import is not complete yet (see docs/adopting.md, "Limits"):
# access lists shipped as files.
NOT_YET: set[str] = set()
INPUTS = [ROOT / "inventory/example/lb.yaml"] + [
    p for p in sorted((ROOT / "tests/golden_inputs").glob("*.yaml")) if p.stem not in NOT_YET
]


def _facts(folder: Path, host: str) -> dict:
    cfg = read_haproxy_cfg((folder / host / "haproxy.cfg").read_text())
    ka = read_keepalived_conf((folder / host / "keepalived.conf").read_text())
    backends = {}
    frontends = set()
    for section in cfg.sections:
        kind = section.header.split(" ")[0]
        if kind == "backend":
            servers = sorted(
                (s.address, s.weight, "backup" in s.options, s.disabled) for s in section.servers
            )
            checks = sorted(ln for ln in section.settings if "check" in ln or "timeout" in ln)
            # Server slots filled from DNS: prefix, count, name, weight and options, whole.
            templates = sorted(ln for ln in section.settings if ln.startswith("server-template "))
            # Stickiness: its table (with the peers that share it across the pair) and rules.
            sticky = [ln for ln in section.settings if ln.startswith(("stick ", "stick-table "))]
            backends[section.header] = (servers, checks, templates, sticky)
        elif kind in ("frontend", "listen"):
            frontends |= {ln for ln in section.settings if ln.startswith(("bind ", "mode "))}
            # A stats page's login and admin lines; the source lists, read from their files.
            frontends |= {
                f"{section.header} | {ln}"
                for ln in section.settings
                if ln.startswith(("stats ", "http-request auth unless"))
            }
            frontends |= _source_lists(folder / host, section.header, section.settings)
            frontends |= {
                f"{section.header} | {ln}"
                for ln in section.settings
                if ln.startswith(
                    ("compression ", "log", "no log", "unique-id-", "no option dontlog")
                )
            }
    instances = sorted(
        (tuple(v.address for v in i.vips), i.interface, i.priority, i.nopreempt)
        for i in ka.instances
    )
    defaults = [s.settings for s in cfg.sections if s.header == "defaults"]
    # Where HAProxy logs and its tuning.
    defaults += [
        sorted(ln for ln in s.settings if ln.startswith(("log ", "tune.")))
        for s in cfg.sections
        if s.header == "global"
    ]
    return {"backends": backends, "frontends": frontends, "vrrp": instances, "defaults": defaults}


def _source_lists(host_dir: Path, header: str, settings: tuple[str, ...]) -> set[str]:
    """`acl NAME src ...` as the addresses each ACL holds, from its lines or its files."""
    found: dict[str, set[str]] = {}
    for line in settings:
        words = line.split()
        if words[:1] != ["acl"] or words[2:3] != ["src"]:
            continue
        values = found.setdefault(words[1], set())
        rest = [w for w in words[3:] if w not in ("-M", "--")]
        while rest:
            if rest[0] == "-f":
                shipped = rest[1].removeprefix("/etc/haproxy/lbctl/")
                values |= {ln.split()[0] for ln in (host_dir / shipped).read_text().splitlines()}
                rest = rest[2:]
            else:
                values.add(rest.pop(0))
    return {f"{header} | acl {name} src {sorted(v)}" for name, v in found.items()}


@pytest.mark.parametrize("model_file", INPUTS, ids=lambda p: p.stem)
def test_lbctls_own_configs_import_back_to_the_same_environment(
    model_file: Path, tmp_path: Path
) -> None:
    original = render_model(load_model_file(model_file).model)
    write_rendered(original, tmp_path / "original")
    result = import_dir(tmp_path / "original", prove=False)
    model = validate_data(yaml.safe_load(result.yaml_text)).model
    imported = render_model(model)
    check_rendered(imported).raise_for_failures()  # the import's own configs load
    write_rendered(imported, tmp_path / "imported")
    for host in (h.host for h in original.hosts):
        assert _facts(tmp_path / "original", host)["backends"], "nothing compared"
        assert _facts(tmp_path / "imported", host) == _facts(tmp_path / "original", host), host
